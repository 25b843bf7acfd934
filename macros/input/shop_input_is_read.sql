{#- Does this command run a node that reads the `shop` source (a staging model, or a test of the
    input such as reconciles_with_shop_input)? Nodes record the source through
    shop_input_relation. -#}
{% macro shop_input_is_read() %}
    {%- set prefix = 'source.' ~ project_name ~ '.shop.' -%}
    {%- for unique_id in selected_resources -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node is not none -%}
            {%- for dependency in node.depends_on.nodes if dependency.startswith(prefix) -%}
                {{ return(true) }}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{% endmacro %}
