{#- kmeans_sql, step 3: which features become model dimensions, and where. As
    customer_segmentation.segmentation.preprocessing.drop_correlated_features does it: in feature order, a
    screened-in feature is kept unless an earlier kept feature correlates with it above var
    segmentation.max_feature_correlation; the reason names the earlier kept feature with the
    largest |r|. The greedy rule runs in the pre-hook (macro
    kmeans_sql_pick_uncorrelated_features), at run time, into a scratch table this model reads.
    Grain: one row per requested numeric feature that is a column of the feature table. -#}
{{ config(
    enabled=setting('segmentation', 'algorithm') == 'kmeans_sql',
    pre_hook="{{ kmeans_sql_pick_uncorrelated_features() }}",
    post_hook="{{ kmeans_sql_drop_scratch(['correlation_drops']) }}",
) }}
-- depends_on: {{ ref('kmeans_sql_feature_correlations') }}

with

feature_stats as (

    select * from {{ ref('kmeans_sql_feature_stats') }}

),

correlation_drops as (

    select * from {{ kmeans_sql_scratch_relation('correlation_drops') }}

),

selected as (

    select
        feature_stats.*,
        correlation_drops.partner_index,
        correlation_drops.pearson_r,
        coalesce(feature_stats.screen_reason is null and correlation_drops.feature_index is null, false) as is_kept
    from feature_stats
    left join correlation_drops
        on feature_stats.feature_index = correlation_drops.feature_index

),

positioned as (

    select
        *,
        sum(case when is_kept then 1 else 0 end) over (
            order by feature_index rows between unbounded preceding and current row
        ) as kept_so_far
    from selected

),

final as (

    select
        positioned.feature_index,
        positioned.feature,
        positioned.transform_name,
        positioned.fill_value,
        positioned.center,
        positioned.scale,
        positioned.clip_limit,
        positioned.is_kept,
        case when positioned.is_kept then positioned.kept_so_far end as model_position,
        case
            when positioned.is_kept then null
            when positioned.screen_reason is not null then positioned.screen_reason
            else
                'correlated with ' || partners.feature
                || ' (r=' || {{ format_fixed('positioned.pearson_r', 2) }} || ')'
        end as drop_reason,
        positioned.training_customers
    from positioned
    left join feature_stats as partners
        on positioned.partner_index = partners.feature_index

)

select * from final
