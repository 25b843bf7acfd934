{#- The per-customer topic share columns: review_topic_<t>_share for t = 1..topics_k_max of var
    review_text (default 8, as customer_segmentation.reviews.ReviewTextSettings). Fixed at compile
    time, whatever k the topic model chooses: a topic beyond the chosen k is null for everyone. -#}
{% macro review_topic_share_columns() -%}
    {%- set k_max = (var('review_text', {}) or {}).get('topics_k_max', 8) | int -%}
    {%- set columns = [] -%}
    {%- for topic_id in range(1, k_max + 1) -%}
        {%- do columns.append('review_topic_' ~ topic_id ~ '_share') -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
