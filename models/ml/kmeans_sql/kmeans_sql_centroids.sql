{#- kmeans_sql, step 6: the centres after Lloyd's iterations (macro
    kmeans_sql_run_lloyd_iterations, which the pre-hook runs: one statement per iteration, at most
    segmentation.kmeans_sql_iterations, stopping at the first that moves nothing). iterations is the
    number run; centroid_shift what the last one moved (0: converged). Grain: one row per
    centre. -#}
{{ config(
    enabled=setting('segmentation', 'algorithm') == 'kmeans_sql',
    pre_hook="{{ kmeans_sql_run_lloyd_iterations() }}",
    post_hook="{{ kmeans_sql_drop_scratch(['lloyd']) }}",
) }}
{%- set features = kmeans_sql_settings().features %}
-- depends_on: {{ ref('kmeans_sql_points') }}
-- depends_on: {{ ref('kmeans_sql_initial_centroids') }}

with

iterated as (

    select * from {{ kmeans_sql_scratch_relation('lloyd') }}

),

final as (

    select
        cluster_index,
        {%- for feature in features %}
            c_{{ feature.index }},
        {%- endfor %}
        members as last_iteration_members,
        centroid_shift,
        iteration as iterations
    from iterated

)

select * from final
