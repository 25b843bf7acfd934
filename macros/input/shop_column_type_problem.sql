{#- Why a column of this type cannot hold what the contract expects, or none. Text columns are
    always accepted (every value is cast and checked row by row); typed columns must be of a
    compatible kind. Float ids are accepted and read as whole numbers where they are whole. -#}
{% macro shop_column_type_problem(found_type, expects) %}
    {%- set type_name = found_type | lower | trim -%}
    {%- set is_text = modules.re.match('(varchar|string|text|char|character|nvarchar|bpchar)\\b', type_name) -%}
    {%- set is_whole = modules.re.match('(tinyint|smallint|int|integer|bigint|hugeint|utinyint|usmallint|uinteger|ubigint|uhugeint|int1|int2|int4|int8|long|short|byte)\\b', type_name)
        or modules.re.fullmatch('(decimal|numeric)\\(\\s*[0-9]+\\s*,\\s*0\\s*\\)', type_name) -%}
    {%- set is_number = is_whole or modules.re.match('(decimal|numeric|float|double|real)\\b', type_name) -%}
    {%- set is_temporal = modules.re.match('(date|timestamp|datetime)', type_name) -%}
    {%- set is_nested_or_binary = modules.re.search('(struct|map|union|array|list|blob|binary|bytea|\\[\\])', type_name) -%}
    {%- if expects is none -%}
        {{ return(none) }}
    {%- elif is_nested_or_binary -%}
        {{ return("a nested or binary value cannot be read as a single value.") }}
    {%- elif is_text -%}
        {{ return(none) }}
    {%- elif expects == 'id' and not (is_whole or modules.re.match('(float|double|real)\\b', type_name)) -%}
        {{ return("an identifier must be text or a whole number.") }}
    {%- elif expects == 'number' and not is_number -%}
        {{ return("the input contract expects a number (or text holding one).") }}
    {%- elif expects == 'timestamp' and not is_temporal -%}
        {{ return("the input contract expects a date or timestamp (or text holding one).") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}
