{#- True when the relation or table function in from_clause has at least one row (reads one). -#}
{% macro shop_input_has_rows(from_clause) %}
    {%- set probed = run_query("select count(*) from (select 1 as probe from " ~ from_clause ~ " limit 1) as probed") -%}
    {{ return(probed.columns[0].values()[0] > 0) }}
{% endmacro %}
