with

artifacts as (

    select * from {{ ref('segment_model_fit') }}
    where record_type in ('metric', 'parameter')

),

final as (

    select
        model_id,
        max(case when metric = 'algorithm' then replace(text_value, '"', '') end) as algorithm,
        cast(max(case when metric = 'as_of_date' then text_value end) as date) as as_of_date,
        cast(max(case when metric = 'k' then value end) as {{ dbt.type_int() }}) as k,
        max(case when metric = 'silhouette' then value end) as silhouette,
        max(case when metric = 'inertia' then value end) as inertia,
        cast(max(case when metric = 'training_customers' then value end) as {{ dbt.type_int() }}) as training_customers,
        cast(max(case when metric = 'dimensions' then value end) as {{ dbt.type_int() }}) as dimensions,
        max(case when metric = 'fit_seconds' then value end) as fit_seconds
    from artifacts
    group by model_id

)

select * from final
