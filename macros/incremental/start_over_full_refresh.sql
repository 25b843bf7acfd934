{#- The full_refresh config of the models that keep history across runs (the model registry,
    segment history, monitoring, the model decisions): true when var start_over is true, so that
    one run replaces the history of whatever shop this warehouse held before; otherwise none (dbt's
    default: --full-refresh decides). See customer_segmentation.segmentation.model_choice. -#}
{% macro start_over_full_refresh() %}
    {{ return(true if var('start_over') in (true, 'true', 'True') else none) }}
{% endmacro %}
