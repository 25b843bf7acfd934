{#- kmeans_sql, step 3: which features become model dimensions, and where. As
    customer_segmentation.preprocessing.drop_correlated_features does it: in feature order, a
    screened-in feature is kept unless an earlier kept feature correlates with it above var
    segmentation.max_feature_correlation (|r|, r rounded to 6 decimals); the reason names the
    earlier kept feature with the largest |r| (ties: the earlier one). No correlation screening
    with fewer than 3 customers, as in Python.

    The greedy rule is sequential, over a handful of features: it runs in Jinja when the model
    compiles, on the pairs above the threshold read from kmeans_sql_feature_correlations (built by
    then), as int_customers_segmented reads the model's dimensions. Written as SQL, a chain of one
    step per feature, Spark spends minutes planning it. With no table yet (dbt compile on an empty
    warehouse) every screened-in feature counts as kept. Grain: one row per requested numeric
    feature that is a column of the feature table. -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set settings = kmeans_sql_settings() -%}
{%- set features = settings.features -%}
{%- set conflicts = [] -%}
{%- if execute -%}
    {%- set correlations_relation = load_relation(ref('kmeans_sql_feature_correlations')) -%}
    {%- if correlations_relation is not none -%}
        {%- set conflict_rows = run_query(
            "select first_index, second_index, pearson_r from " ~ ref('kmeans_sql_feature_correlations')
            ~ " where correlated_customers >= 3 and abs(pearson_r) > " ~ settings.max_correlation
            ~ " order by second_index, first_index") -%}
        {%- for row in conflict_rows.rows -%}
            {%- do conflicts.append({'first': row[0] | int, 'second': row[1] | int, 'r': row[2] | float}) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif -%}
{#- Features that conflict with no earlier kept feature are kept (screening is applied in SQL:
    a screened-out feature has r = 0 with every other, so it blocks nothing). -#}
{%- set selection = namespace(kept=[], dropped={}) -%}
{%- for feature in features -%}
    {%- set partner = namespace(index=none, r=0) -%}
    {%- for conflict in conflicts if conflict.second == feature.index and conflict.first in selection.kept -%}
        {%- if partner.index is none or (conflict.r | abs) > (partner.r | abs) -%}
            {%- set partner.index = conflict.first -%}
            {%- set partner.r = conflict.r -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if partner.index is none -%}
        {%- set selection.kept = selection.kept + [feature.index] -%}
    {%- else -%}
        {%- do selection.dropped.update({feature.index: {'partner': partner.index, 'r': partner.r}}) -%}
    {%- endif -%}
{%- endfor %}
-- depends_on: {{ ref('kmeans_sql_feature_correlations') }}

with

feature_stats as (

    select * from {{ ref('kmeans_sql_feature_stats') }}

),

correlation_drops as (

    select
        cast(null as {{ dbt.type_int() }}) as feature_index,
        cast(null as {{ dbt.type_int() }}) as partner_index,
        cast(null as {{ type_double() }}) as pearson_r
    where 1 = 0
    {%- for feature_index, drop in selection.dropped.items() %}

        union all

        select
            {{ feature_index }} as feature_index,
            {{ drop.partner }} as partner_index,
            {{ drop.r }} as pearson_r
    {%- endfor %}

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
