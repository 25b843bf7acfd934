{#- The findings of personal_data_findings when there is nothing to scan: no rows, typed. -#}
{% macro no_personal_data_findings() %}
    {%- set empty_findings -%}
    select
        cast(null as {{ dbt.type_string() }}) as table_schema,
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as finding,
        cast(null as {{ dbt.type_bigint() }}) as matching_values
    where 1 = 0
    {%- endset -%}
    {{ return(empty_findings) }}
{% endmacro %}
