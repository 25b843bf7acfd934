with

artifacts as (

    select * from {{ ref('segment_model_fit') }}
    where record_type = 'segment'

),

final as (

    select
        model_id,
        segment_id,
        max(case when metric = 'segment_name' then text_value end) as segment_name,
        max(case when metric = 'description' then text_value end) as description,
        cast(max(case when metric = 'training_customers' then value end) as {{ dbt.type_int() }}) as training_customers
    from artifacts
    group by model_id, segment_id

)

select * from final
