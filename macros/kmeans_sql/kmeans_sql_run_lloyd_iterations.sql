{#- Pre-hook of kmeans_sql_centroids: Lloyd's iterations, one statement per iteration, into the
    scratch table <model>__lloyd.

    Each iteration assigns every customer to the nearest centre (ties: the lower cluster_index,
    as numpy's argmin) and moves each centre to the mean of its customers; a centre no customer
    chose stays where it is. Sums run in decimal(38, 18), so they do not depend on the order rows
    arrive in (a float sum does, on a parallel engine). centroid_shift is how far the iteration
    moved the centres (squared, summed over dimensions). The loop stops after var
    segmentation.kmeans_sql_iterations iterations, or earlier at the first iteration that moves nothing (every
    later one would repeat it). The iterations are unrolled by Jinja into separate statements:
    as one query of chained steps Spark's analyzer gives up ("Max iterations (100) reached for
    batch Resolution"). Renders no SQL of its own. -#}
{% macro kmeans_sql_run_lloyd_iterations() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set settings = kmeans_sql_settings() -%}
    {%- set features = settings.features -%}
    {%- set state = namespace(
        current=kmeans_sql_scratch_relation('lloyd_a'), other=kmeans_sql_scratch_relation('lloyd_b'), done=false) -%}
    {%- set start_sql -%}
        select
            cluster_index
            {%- for feature in features %},
            c_{{ feature.index }}
            {%- endfor %},
            cast(null as {{ dbt.type_bigint() }}) as members,
            cast(null as {{ type_double() }}) as centroid_shift,
            0 as iteration
        from {{ ref('kmeans_sql_initial_centroids') }}
    {%- endset -%}
    {%- do kmeans_sql_replace_table(state.current, start_sql) -%}
    {%- for iteration in range(1, settings.iterations + 1) if not state.done -%}
        {%- set step_sql -%}
            with

            assigned as (

                select
                    points.customer_id,
                    centroids.cluster_index
                    {%- for feature in features %},
                    points.z_{{ feature.index }},
                    centroids.c_{{ feature.index }} as previous_c_{{ feature.index }}
                    {%- endfor %},
                    row_number() over (
                        partition by points.customer_id
                        order by {{ kmeans_sql_squared_distance('points', 'centroids', features) }}, centroids.cluster_index
                    ) as distance_rank
                from {{ ref('kmeans_sql_points') }} as points
                cross join {{ state.current }} as centroids

            ),

            moved as (

                select
                    cluster_index,
                    sum(case when distance_rank = 1 then 1 else 0 end) as members
                    {%- for feature in features %},
                    coalesce(
                        cast(sum(case when distance_rank = 1 then cast(z_{{ feature.index }} as decimal(38, 18)) end) as {{ type_double() }})
                        / nullif(sum(case when distance_rank = 1 then 1 else 0 end), 0),
                        max(previous_c_{{ feature.index }})
                    ) as c_{{ feature.index }},
                    max(previous_c_{{ feature.index }}) as previous_c_{{ feature.index }}
                    {%- endfor %}
                from assigned
                group by cluster_index

            )

            select
                cluster_index
                {%- for feature in features %},
                c_{{ feature.index }}
                {%- endfor %},
                cast(members as {{ dbt.type_bigint() }}) as members,
                cast(0 as {{ type_double() }})
                {%- for feature in features %}
                + (c_{{ feature.index }} - previous_c_{{ feature.index }}) * (c_{{ feature.index }} - previous_c_{{ feature.index }})
                {%- endfor %} as centroid_shift,
                {{ iteration }} as iteration
            from moved
        {%- endset -%}
        {%- do kmeans_sql_replace_table(state.other, step_sql) -%}
        {%- set finished = state.current -%}
        {%- set state.current = state.other -%}
        {%- set state.other = finished -%}
        {%- set shift = run_query("select max(centroid_shift) from " ~ state.current).columns[0].values()[0] -%}
        {%- if shift is not none and shift == 0 -%}
            {%- set state.done = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do kmeans_sql_replace_table(kmeans_sql_scratch_relation('lloyd'), "select * from " ~ state.current) -%}
    {%- do adapter.drop_relation(kmeans_sql_scratch_relation('lloyd_a')) -%}
    {%- do adapter.drop_relation(kmeans_sql_scratch_relation('lloyd_b')) -%}
    {{ return('') }}
{% endmacro %}
