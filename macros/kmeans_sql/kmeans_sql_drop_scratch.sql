{#- Post-hook: drops the scratch tables; renders no SQL of its own. -#}
{% macro kmeans_sql_drop_scratch(suffixes) %}
    {%- if execute -%}
        {%- for suffix in suffixes -%}
            {%- do adapter.drop_relation(kmeans_sql_scratch_relation(suffix)) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
