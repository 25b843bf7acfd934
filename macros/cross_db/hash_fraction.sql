{#- A number in (0, 1) from a text, the same on every engine: the first 32 bits of md5(text),
    plus one half, divided by 2^32. Deterministic stand-in for a seeded random draw in SQL (the
    kmeans_sql initialisation draws its k-means++ picks with it). -#}
{% macro hash_fraction(text_expression) -%}
    (cast({{ adapter.dispatch('hash_fraction_bits', 'customer_segmentation')('substr(md5(' ~ text_expression ~ '), 1, 8)') }} as {{ type_double() }}) + 0.5)
    / 4294967296.0
{%- endmacro %}

{#- Postgres: a hex text becomes bits, then an integer. -#}
{% macro default__hash_fraction_bits(hex_expression) -%}
    ('x' || {{ hex_expression }})::bit(32)::bigint
{%- endmacro %}

{#- DuckDB casts a 0x-prefixed text to an integer. -#}
{% macro duckdb__hash_fraction_bits(hex_expression) -%}
    cast('0x' || {{ hex_expression }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Spark and Databricks: conv() turns base-16 text into base-10 text. -#}
{% macro spark__hash_fraction_bits(hex_expression) -%}
    cast(conv({{ hex_expression }}, 16, 10) as {{ dbt.type_bigint() }})
{%- endmacro %}
