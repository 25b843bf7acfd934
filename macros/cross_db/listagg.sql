{#- dbt's listagg on Spark ignores order_by_clause (with a warning): collect_list gathers values
    in whatever order the tasks finish, so the lists in segment_models and segment_summary would
    change from run to run. This override keeps the order: it collects (sort keys..., value)
    structs, sorts them, and joins the values.

    order_by_clause is the text the models pass, "order by <column> [asc|desc], ..."; the sort
    keys must all be ascending or all descending (sort_array sorts whole structs one way).
    Nulls sort first ascending, last descending. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if not order_by_clause -%}
        {%- set ordered = "collect_list(" ~ measure ~ ")" -%}
    {%- else -%}
        {%- set clause = order_by_clause | trim -%}
        {%- if not modules.re.match('(?i)order\\s+by\\s', clause) -%}
            {{ exceptions.raise_compiler_error("listagg on Spark: order_by_clause must start with 'order by', got " ~ (clause | tojson)) }}
        {%- endif -%}
        {%- set keys = [] -%}
        {%- set directions = [] -%}
        {%- for part in modules.re.sub('(?i)^order\\s+by\\s+', '', clause).split(',') -%}
            {%- set matched = modules.re.fullmatch('(?is)\\s*(.+?)(\\s+(asc|desc))?\\s*', part) -%}
            {%- do keys.append(matched.group(1)) -%}
            {%- do directions.append((matched.group(3) or 'asc') | lower) -%}
        {%- endfor -%}
        {%- if directions | unique | list | length > 1 -%}
            {{ exceptions.raise_compiler_error("listagg on Spark: mixed asc/desc in " ~ (clause | tojson) ~ " is not supported") }}
        {%- endif -%}
        {%- set fields = [] -%}
        {%- for key in keys -%}
            {%- do fields.append("'sort_key_" ~ loop.index ~ "', " ~ key) -%}
        {%- endfor -%}
        {%- set ordered -%}
            transform(
                sort_array(
                    collect_list(named_struct({{ fields | join(', ') }}, 'listagg_value', {{ measure }})),
                    {{ 'false' if directions[0] == 'desc' else 'true' }}
                ),
                listagg_entry -> listagg_entry.listagg_value
            )
        {%- endset -%}
    {%- endif -%}
    {%- if limit_num -%}
        {%- set ordered = "slice(" ~ ordered ~ ", 1, " ~ limit_num ~ ")" -%}
    {%- endif -%}
    array_join({{ ordered }}, {{ delimiter_text }})
{%- endmacro %}
