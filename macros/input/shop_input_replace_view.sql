{#- (Re)creates a view. Dropped first: some engines refuse `create or replace` when the columns
    change (a customer attribute declared or removed). -#}
{% macro shop_input_replace_view(relation, sql) %}
    {%- do adapter.drop_relation(relation) -%}
    {%- do run_query('create view ' ~ relation ~ ' as\n' ~ sql) -%}
{% endmacro %}
