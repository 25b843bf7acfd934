{#- How each segment of the current model differs from all customers, feature by feature, with
    the features ranked by how strongly they set the segment apart (|z-score|). Features most of
    the segment has no value for (is_defined_for_segment false) and features without spread rank
    last. -#}
with

profiles as (

    select * from {{ ref('int_segment_feature_profiles') }}

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

final as (

    select
        profiles.segment_id,
        segments.segment_name,
        profiles.feature,
        profiles.segment_mean,
        profiles.segment_median,
        profiles.overall_mean,
        profiles.overall_stddev,
        profiles.z_score,
        profiles.is_defined_for_segment,
        profiles.source_column,
        profiles.is_customer_attribute,
        profiles.is_sensitive,
        row_number() over (
            partition by profiles.segment_id
            order by
                case when profiles.z_score is null or not profiles.is_defined_for_segment then 1 else 0 end,
                abs(profiles.z_score) desc,
                profiles.feature
        ) as importance_rank
    from profiles
    inner join segments
        on profiles.segment_id = segments.segment_id

)

select * from final
