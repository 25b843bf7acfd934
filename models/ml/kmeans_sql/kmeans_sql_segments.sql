{#- kmeans_sql, step 7: the segments. The training customers are assigned to the final centres
    (ties: the lower cluster_index); centres left with no customer are dropped, and the others
    are numbered 1..k in the fixed order of the Python model (largest first coordinate first,
    coordinates rounded to 6 decimals; customer_segmentation.segmentation.clustering.relabel_in_fixed_order).

    Names follow a small rule set instead of the Python archetypes: "Segment <id> (high|low
    <feature>)" after the feature on which the segment's mean (scaled) is farthest from all
    customers' mean, in standard deviations; the description lists the three strongest features
    in the Python model's words (much higher >= 1, higher >= 0.25, about average, lower, much
    lower). radius is the 0.99 quantile of the members' distances to the centre. Grain: one row
    per segment. -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set settings = kmeans_sql_settings() -%}
{%- set features = settings.features -%}

with

points as (

    select * from {{ ref('kmeans_sql_points') }}

),

final_centroids as (

    select * from {{ ref('kmeans_sql_centroids') }}

),

feature_list as (

    select
        feature_index,
        feature
    from {{ ref('kmeans_sql_scaling') }}
    where is_kept

),

ranked_centres as (

    select
        points.customer_id,
        final_centroids.cluster_index,
        {{ kmeans_sql_squared_distance('points', 'final_centroids', features) }} as squared_distance,
        row_number() over (
            partition by points.customer_id
            order by {{ kmeans_sql_squared_distance('points', 'final_centroids', features) }}, final_centroids.cluster_index
        ) as distance_rank
    from points
    cross join final_centroids

),

assigned as (

    select
        customer_id,
        cluster_index,
        squared_distance
    from ranked_centres
    where distance_rank = 1

),

cluster_sizes as (

    select
        cluster_index,
        count(*) as training_customers,
        sum(squared_distance) as cluster_inertia,
        {{ percentile_continuous('sqrt(squared_distance)', settings.radius_quantile) }} as radius
    from assigned
    group by cluster_index

),

numbered as (

    select
        final_centroids.*,
        cluster_sizes.training_customers,
        cluster_sizes.cluster_inertia,
        cast(cluster_sizes.radius as {{ type_double() }}) as radius,
        row_number() over (
            order by
                {%- for feature in features %}
                    round(final_centroids.c_{{ feature.index }}, 6) desc,
                {%- endfor %}
                final_centroids.cluster_index
        ) as segment_id
    from final_centroids
    inner join cluster_sizes
        on final_centroids.cluster_index = cluster_sizes.cluster_index

),

member_values as (

    select
        numbered.segment_id,
        feature_list.feature,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then points.z_{{ feature.index }}
            {%- endfor %}
        end as scaled_value
    from assigned
    inner join numbered
        on assigned.cluster_index = numbered.cluster_index
    inner join points
        on assigned.customer_id = points.customer_id
    cross join feature_list

),

overall as (

    select
        feature,
        avg(scaled_value) as overall_mean,
        stddev_pop(scaled_value) as overall_stddev
    from member_values
    group by feature

),

segment_profiles as (

    select
        member_values.segment_id,
        member_values.feature,
        (avg(member_values.scaled_value) - max(overall.overall_mean))
        / case when max(overall.overall_stddev) > 0 then max(overall.overall_stddev) else 1 end as profile_z
    from member_values
    inner join overall
        on member_values.feature = overall.feature
    group by member_values.segment_id, member_values.feature

),

ranked_profiles as (

    select
        segment_id,
        feature,
        profile_z,
        row_number() over (partition by segment_id order by abs(profile_z) desc, feature) as strength_rank,
        case
            when profile_z >= 1.0 then 'much higher'
            when profile_z >= 0.25 then 'higher'
            when profile_z <= -1.0 then 'much lower'
            when profile_z <= -0.25 then 'lower'
            else 'about average'
        end as direction
    from segment_profiles

),

segment_words as (

    select
        segment_id,
        max(
            case
                when strength_rank = 1
                    then case when profile_z >= 0 then 'high ' else 'low ' end || feature
            end
        ) as strongest_feature,
        {{ dbt.listagg("feature || ' ' || direction", "', '", "order by strength_rank") }} as feature_phrase
    from ranked_profiles
    where strength_rank <= 3
    group by segment_id

),

final as (

    select
        numbered.segment_id,
        numbered.cluster_index,
        {%- for feature in features %}
            numbered.c_{{ feature.index }},
        {%- endfor %}
        numbered.training_customers,
        numbered.cluster_inertia,
        numbered.radius,
        numbered.iterations,
        numbered.centroid_shift,
        'Segment ' || cast(numbered.segment_id as {{ dbt.type_string() }})
        || coalesce(' (' || segment_words.strongest_feature || ')', '') as segment_name,
        'Compared with all customers: '
        || coalesce(segment_words.feature_phrase, 'no distinguishing features') || '.' as segment_description
    from numbered
    left join segment_words
        on numbered.segment_id = segment_words.segment_id

)

select * from final
