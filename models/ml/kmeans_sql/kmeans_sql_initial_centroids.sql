{#- kmeans_sql, step 5: the k starting centres, by k-means++ with deterministic draws from
    md5(seed | pick | customer_id) (macro kmeans_sql_pick_initial_centroids, which the pre-hook
    runs: one statement per pick). Grain: one row per centre (cluster_index 1..k; fewer when
    there are fewer distinct customers than k). -#}
{{ config(
    enabled=setting('segmentation', 'algorithm') == 'kmeans_sql',
    pre_hook="{{ kmeans_sql_pick_initial_centroids() }}",
    post_hook="{{ kmeans_sql_drop_scratch(['picks']) }}",
) }}
-- depends_on: {{ ref('kmeans_sql_points') }}

with

picks as (

    select * from {{ kmeans_sql_scratch_relation('picks') }}

)

select * from picks
