{#- A deterministic hash of a row's raw values, used to find exact duplicates and to key rejected
    rows that have no usable natural key. -#}
{% macro row_fingerprint(column_names) -%}
    md5(
        {%- for column_name in column_names %}
        coalesce(cast({{ column_name }} as {{ dbt.type_string() }}), '<null>'){% if not loop.last %} || '|' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
