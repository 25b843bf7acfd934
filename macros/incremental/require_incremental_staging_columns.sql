{#- Pre-hook of the incremental staging models: a checked table built before incremental staging
    lacks its bookkeeping columns. Renders no SQL of its own. -#}
{% macro require_incremental_staging_columns() %}
    {%- if execute and is_incremental() -%}
        {%- set present = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- for column_name in ['source_date', 'raw_fingerprint', 'staging_rules_version'] -%}
            {%- if column_name not in present -%}
                {{ exceptions.raise_compiler_error(this ~ " was built by an earlier version of this project and has no column " ~ column_name ~ ". Rebuild it once with: dbt build --full-refresh --select " ~ model.name ~ "+") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
