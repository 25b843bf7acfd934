{#- A fingerprint of a raw row, used to find repeated rows cheaply in staging. Equal values give
    equal fingerprints; unequal values almost always give unequal ones. Staging confirms a
    repeat on the values themselves and numbers rows within a fingerprint, so a collision never
    rejects a row nor repeats a key. -#}
{% macro raw_row_fingerprint(column_names) -%}
    {{ return(adapter.dispatch('raw_row_fingerprint', 'customer_segmentation')(column_names)) }}
{%- endmacro %}

{% macro default__raw_row_fingerprint(column_names) -%}
    {{ row_fingerprint(column_names) }}
{%- endmacro %}

{#- DuckDB: the engine's 64-bit hash of the values. On tens of millions of rows it is about five
    times cheaper than md5 of the concatenated text, and it groups as an integer. -#}
{% macro duckdb__raw_row_fingerprint(column_names) -%}
    hash({{ column_names | join(', ') }})
{%- endmacro %}
