{#- The typed reading of one input column (the ingest step's `<column>__value`), or a null: the
    value in the input's own type, kept only where every cast staging makes of it (macros
    shop_value_number, shop_value_id; a timestamp or date casts to a timestamp as its text
    does) gives exactly what the same cast of its text gives. Elsewhere (CSV inputs, text columns, other types, values outside the guards)
    it is null and staging reads the text (`<column>__text`), as it always did.

    quoted: the quoted column name; found_type: its type as the engine reports it; expects: the
    contract's kind (id, number, timestamp, text). Typed readings exist on DuckDB only: on other
    engines every value is read as text. -#}
{% macro shop_column_value(quoted, found_type, expects) %}
    {{ return(adapter.dispatch('shop_column_value', 'customer_segmentation')(quoted, found_type, expects)) }}
{% endmacro %}

{% macro default__shop_column_value(quoted, found_type, expects) %}
    {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
{% endmacro %}

{#- The guards, and why each keeps the typed cast equal to the cast of the text:
    - whole numbers (signed integer types): exact in every staged type below 10^13 (staging
      passes a number through decimal(18, 2) first, and a double holds every such value);
    - decimals with at most 2 decimal places: their text is their digits, and decimal casts round
      the digits as a text cast does (half away from zero);
    - doubles that hold a value with at most 2 decimal places (x = round(x, 2)), below 10^13 and
      not -0.0: such a double prints as those digits (its shortest text), so its cast to
      decimal(18, 2) is the text's value. 0.145 is not one (the double is 0.14499999...): its
      text rounds to 0.15 and the double to 0.14, so it is read as text. NaN and infinities fail
      the bound; -0.0 prints as '-0.0' while it hashes as 0.0;
    - timestamps (microseconds) and dates from 0001-01-01 to 9999-12-30: their text parses back to
      the same value. Timestamps with a time zone, nanoseconds, and floats are read as text.
    - ids: whole numbers; float ids (pandas writes a whole-number id column with a gap as
      doubles) only when whole and below 10^15, as the whole number shop_column's text rule
      writes (1001.0 is the id 1001). An id column written as bigint in one run and as double
      in the next then gives the same readings and raw fingerprints: no date is re-staged for
      it. -#}
{% macro duckdb__shop_column_value(quoted, found_type, expects) %}
    {%- set type_name = found_type | lower | trim -%}
    {%- set is_integer = modules.re.fullmatch('(tinyint|smallint|integer|int|bigint|int1|int2|int4|int8|utinyint|usmallint|uinteger)', type_name) -%}
    {%- set small_decimal = modules.re.fullmatch('(decimal|numeric)\\(\\s*([0-9]+)\\s*,\\s*([0-2])\\s*\\)', type_name) -%}
    {%- set bound = '10000000000000' -%}
    {%- if expects == 'id' and is_integer -%}
        {{ return(quoted) }}
    {%- elif expects == 'id' and modules.re.match('(float|double|real)', type_name) -%}
        {{ return('case when ' ~ shop_float_id_is_whole(quoted) ~ ' then cast(' ~ quoted ~ ' as '
                  ~ dbt.type_bigint() ~ ') end') }}
    {%- elif expects == 'number' and (is_integer or small_decimal) -%}
        {{ return('case when abs(' ~ quoted ~ ') < ' ~ bound ~ ' then ' ~ quoted ~ ' end') }}
    {%- elif expects == 'number' and type_name == 'double' -%}
        {{ return('case when ' ~ quoted ~ ' = round(' ~ quoted ~ ', 2) and abs(' ~ quoted ~ ') < ' ~ bound
                  ~ ' and not (' ~ quoted ~ ' = 0 and signbit(' ~ quoted ~ ')) then ' ~ quoted ~ ' end') }}
    {%- elif expects == 'timestamp' and type_name in ('timestamp', 'timestamp without time zone', 'date') -%}
        {{ return('case when ' ~ quoted ~ " between cast('0001-01-01' as date) and cast('9999-12-31' as date) + interval 1 day"
                  ~ ' then ' ~ quoted ~ ' end') }}
    {%- endif -%}
    {{ return('cast(null as ' ~ dbt.type_string() ~ ')') }}
{% endmacro %}
