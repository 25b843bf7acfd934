{#- The day spine MetricFlow joins metrics to (models/semantic_models.yml): one row per day from
    2000-01-01 to 2040-12-31. Not exported to Parquet (meta export: false). -#}
with

days as (

    {{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2041-01-01' as date)") }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
