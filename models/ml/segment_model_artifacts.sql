{#- The current model's artifact table, whichever algorithm wrote it: the dbt Python model
    segment_model_fit (scikit-learn: kmeans, hierarchical, hdbscan, autoencoder_kmeans) or, with
    segmentation.algorithm kmeans_sql, the SQL model segment_model_fit_sql (engines that run no
    Python models, such as Spark through dbt-spark's session method), or with rfm_grid the SQL
    model segment_model_fit_rfm_grid (the classic RFM grid). The others are disabled, so every
    model downstream reads this one. A table, not a view: a DuckDB view names the
    database file it was created in, and would break when the warehouse file is copied or
    renamed. -#}
{%- set algorithm = setting('segmentation', 'algorithm') %}
{%- if algorithm == 'kmeans_sql' %}
    {%- set fitted_model = ref('segment_model_fit_sql') %}
{%- elif algorithm == 'rfm_grid' %}
    {%- set fitted_model = ref('segment_model_fit_rfm_grid') %}
{%- elif target.type not in var('python_model_adapters') %}
    {{ exceptions.raise_compiler_error(
        "segmentation.algorithm " ~ algorithm ~ " is a dbt Python model, which the "
        ~ target.type ~ " adapter does not run: use --vars '{segmentation: {algorithm: kmeans_sql}}' or rfm_grid (docs/spark.md)") }}
{%- else %}
    {%- set fitted_model = ref('segment_model_fit') %}
{%- endif %}

with

fitted as (

    select * from {{ fitted_model }}

)

select * from fitted
