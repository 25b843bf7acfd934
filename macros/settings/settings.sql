{#- The settings of one group (segmentation, review_text, risk, ...): the user's var of that
    name merged over the declared defaults (macro settings_declared, generated from the Python
    settings classes of customer_segmentation.settings), every value checked against its kind,
    bounds and choices as the Python classes check it, so that what reaches the SQL is a plain
    number, text or list. The build stops, naming the key and the rule, when a key is unknown (with
    the valid ones), a value is wrong, or a flat var of an earlier version is set (with the key
    that replaced it: dbt would otherwise ignore it without a word). docs/configuration.md lists
    the keys. -#}
{% macro settings(group) %}
    {%- set declared = settings_declared() -%}
    {%- for old_name, new_keys in declared.renamed_vars.items() if var(old_name, none) is not none -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ old_name ~ " was renamed: set " ~ (new_keys | join(' and ')) ~ " instead, e.g. --vars '{"
            ~ new_keys[0].split('.')[0] ~ ": {" ~ new_keys[0].split('.')[1] ~ ": ...}}' (docs/configuration.md)") }}
    {%- endfor -%}
    {%- if group not in declared.groups -%}
        {{ exceptions.raise_compiler_error(
            "no settings group " ~ (group | tojson) ~ "; the groups are " ~ (declared.groups.keys() | list | join(', '))) }}
    {%- endif -%}
    {%- set given = var(group, none) -%}
    {%- if given is none -%}
        {%- set given = {} -%}
    {%- endif -%}
    {%- if given is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ group ~ " must be a mapping of settings, e.g. --vars '{" ~ group ~ ": {...}}'; got " ~ (given | string | tojson)) }}
    {%- endif -%}
    {%- set fields = declared.groups[group] -%}
    {%- set unknown = given.keys() | reject('in', fields) | list | sort -%}
    {%- if unknown -%}
        {{ exceptions.raise_compiler_error(
            "unknown " ~ group ~ " settings " ~ (unknown | tojson) ~ "; valid ones: "
            ~ (fields.keys() | list | sort | tojson) ~ " (docs/configuration.md)") }}
    {%- endif -%}
    {%- set merged = {} -%}
    {%- for name, spec in fields.items() -%}
        {%- set key = group ~ '.' ~ name -%}
        {%- set value = given[name] if name in given else spec.default -%}
        {%- if value is none or (value is string and value in ('', 'null', 'None')) -%}
            {%- if not spec.get('nullable') -%}
                {{ exceptions.raise_compiler_error(key ~ " may not be null") }}
            {%- endif -%}
            {%- set value = none -%}
        {%- elif spec.kind == 'list' -%}
            {%- if value is string or value is mapping or value is not iterable -%}
                {{ exceptions.raise_compiler_error(key ~ " must be a list; got " ~ (value | string | tojson)) }}
            {%- endif -%}
            {%- set value = value | map('string') | list -%}
        {%- elif spec.kind == 'text' -%}
            {%- set value = value | string -%}
        {%- elif spec.kind == 'boolean' -%}
            {%- if value is not boolean and (value | string | lower | trim) not in ('true', 'false') -%}
                {{ exceptions.raise_compiler_error(key ~ " must be true or false; got " ~ (value | string | tojson)) }}
            {%- endif -%}
            {%- set value = value if value is boolean else (value | string | lower | trim) == 'true' -%}
        {%- else -%}
            {%- set text = value | string | trim -%}
            {%- if value is boolean or not modules.re.fullmatch('-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?', text) -%}
                {{ exceptions.raise_compiler_error(key ~ " must be a number; got " ~ (value | string | tojson)) }}
            {%- endif -%}
            {%- if spec.kind == 'integer' -%}
                {%- if (text | float) != ((text | float) | round) -%}
                    {{ exceptions.raise_compiler_error(key ~ " must be a whole number; got " ~ (text | tojson)) }}
                {%- endif -%}
                {%- set value = text | float | int -%}
            {%- else -%}
                {%- set value = text | float -%}
            {%- endif -%}
        {%- endif -%}
        {%- if value is not none and spec.get('choices') and value not in spec.get('choices') -%}
            {{ exceptions.raise_compiler_error(key ~ " is " ~ (value | tojson) ~ "; expected one of " ~ (spec.get('choices') | tojson)) }}
        {%- endif -%}
        {%- if value is number and value is not boolean -%}
            {%- if spec.get('minimum') is not none and spec.get('maximum') is not none and not (spec.get('minimum') <= value <= spec.get('maximum')) -%}
                {{ exceptions.raise_compiler_error(key ~ " must be between " ~ spec.get('minimum') ~ " and " ~ spec.get('maximum') ~ "; got " ~ value) }}
            {%- elif spec.get('minimum') is not none and value < spec.get('minimum') -%}
                {{ exceptions.raise_compiler_error(key ~ " must be at least " ~ spec.get('minimum') ~ "; got " ~ value) }}
            {%- elif spec.get('maximum') is not none and value > spec.get('maximum') -%}
                {{ exceptions.raise_compiler_error(key ~ " must be at most " ~ spec.get('maximum') ~ "; got " ~ value) }}
            {%- elif spec.get('above') is not none and not value > spec.get('above') -%}
                {{ exceptions.raise_compiler_error(key ~ " must be greater than " ~ spec.get('above') ~ "; got " ~ value) }}
            {%- endif -%}
        {%- endif -%}
        {%- do merged.update({name: value}) -%}
    {%- endfor -%}
    {{ return(merged) }}
{% endmacro %}
