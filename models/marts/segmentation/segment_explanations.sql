{#- Readable rules for each segment of the current model, from a shallow surrogate decision tree
    on the features (customer_segmentation.segmentation.explain): how many of the segment's customers a rule
    covers (coverage) and how many of the customers it covers are in the segment (precision). -#}
with

artifacts as (

    select * from {{ ref('segment_model_artifacts') }}
    where record_type = 'explanation_rule'

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

rules as (

    select
        model_id,
        segment_id,
        position as rule_rank,
        max(text_value) as rule,  -- noqa: RF04
        max(case when metric = 'coverage' then value end) as coverage,
        max(case when metric = 'precision' then value end) as rule_precision,
        cast(max(case when metric = 'support' then value end) as {{ dbt.type_int() }}) as support  -- noqa: RF04
    from artifacts
    group by model_id, segment_id, position

),

final as (

    select
        segments.segment_id,
        segments.segment_name,
        segments.description,
        rules.rule_rank,
        rules.rule,
        rules.coverage,
        rules.rule_precision,
        rules.support,
        segments.model_id
    from segments
    left join rules
        on segments.segment_id = rules.segment_id

)

select * from final
