{#- An order-independent checksum of a date's raw fingerprints. -#}
{% macro fingerprint_checksum(column_name) %}
    {{ return(adapter.dispatch('fingerprint_checksum', 'customer_segmentation')(column_name)) }}
{% endmacro %}

{#- DuckDB's fingerprint is a 64-bit integer hash: the sum is exact (128-bit). -#}
{% macro duckdb__fingerprint_checksum(column_name) -%}
    sum(cast({{ column_name }} as hugeint))
{%- endmacro %}

{#- Elsewhere the fingerprint is md5 text, which no portable SQL sums: an adapter added to var
    incremental_staging_adapters needs its own <adapter>__fingerprint_checksum first. -#}
{% macro default__fingerprint_checksum(column_name) -%}
    {{ exceptions.raise_compiler_error("Incremental staging has no fingerprint checksum for the " ~ target.type ~ " adapter. Remove it from var incremental_staging_adapters (staging is then rebuilt as a table each run), or add a macro " ~ target.type ~ "__fingerprint_checksum.") }}
{%- endmacro %}
