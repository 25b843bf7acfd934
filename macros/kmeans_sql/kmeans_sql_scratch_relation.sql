{#- Scratch tables of a kmeans_sql model: <model>__<suffix> next to the model, written by its
    pre-hook (one statement per step of an iterative algorithm) and dropped by its post-hook. -#}
{% macro kmeans_sql_scratch_relation(suffix) %}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__' ~ suffix}, type='table')) }}
{% endmacro %}
