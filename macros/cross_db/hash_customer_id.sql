{#- A salted SHA-256 of a customer id, as 64 lower-case hex characters, for exports that leave the
    warehouse (campaign audiences): the same id and salt always give the same hash, another salt
    gives another hash, and without the salt nobody can link a hash back by hashing candidate ids.
    hash = sha256(salt || '|' || customer_id); a null id gives null.

    The salt is the environment variable CUSTOMER_ID_SALT (at least 16 characters; e.g.
    `openssl rand -hex 32`), kept out of the repository. It is read only when a model that calls
    this macro compiles: unset or too short, that model stops with a compile error naming the
    variable, and every other model builds. The salt is written into the compiled SQL of that
    model (target/) and dbt's debug log (logs/), both ignored by git: do not share them. -#}
{% macro hash_customer_id(column) -%}
    {%- set salt = env_var('CUSTOMER_ID_SALT', '') -%}
    {%- if execute and (salt | trim | length) < 16 -%}
        {{ exceptions.raise_compiler_error(
            "hash_customer_id needs the environment variable CUSTOMER_ID_SALT, a secret of at least 16 characters"
            ~ (" (it is not set)" if (salt | trim) == '' else " (the one set is too short)")
            ~ ". Set it before building a model that exports hashed customer ids, e.g. export CUSTOMER_ID_SALT=$(openssl rand -hex 32), and keep it: another salt gives other hashes.") }}
    {%- endif -%}
    {{ return(adapter.dispatch('hash_customer_id', 'customer_segmentation')(column, sql_string_literal(salt))) }}
{%- endmacro %}

{#- Spark, Databricks and Snowflake: sha2(text, 256) returns lower-case hex. -#}
{% macro default__hash_customer_id(column, salt_literal) -%}
    sha2(concat({{ salt_literal }}, '|', cast({{ column }} as {{ dbt.type_string() }})), 256)
{%- endmacro %}

{#- DuckDB: sha256(text) returns lower-case hex. -#}
{% macro duckdb__hash_customer_id(column, salt_literal) -%}
    sha256({{ salt_literal }} || '|' || cast({{ column }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- Postgres 11+: sha256 takes bytes and returns bytes. -#}
{% macro postgres__hash_customer_id(column, salt_literal) -%}
    encode(sha256(convert_to({{ salt_literal }} || '|' || cast({{ column }} as {{ dbt.type_string() }}), 'UTF8')), 'hex')
{%- endmacro %}
