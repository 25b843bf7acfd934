{#- The per-customer topic share columns: review_topic_<t>_share for t = 1..review_text.topics_k_max
    (customer_segmentation.settings.ReviewTextSettings). Fixed at compile time, whatever k the
    topic model chooses: a topic beyond the chosen k is null for everyone. -#}
{% macro review_topic_share_columns() -%}
    {%- set k_max = setting('review_text', 'topics_k_max') -%}
    {%- set columns = [] -%}
    {%- for topic_id in range(1, k_max + 1) -%}
        {%- do columns.append('review_topic_' ~ topic_id ~ '_share') -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
