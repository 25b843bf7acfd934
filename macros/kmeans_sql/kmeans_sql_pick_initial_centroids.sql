{#- Pre-hook of kmeans_sql_initial_centroids: k-means++ with deterministic draws, one statement
    per pick into the scratch table <model>__picks.

    Pick 1 is the customer with the largest u_1; pick s (2..k) draws a customer with probability
    proportional to D^2, the squared distance to the nearest centre picked so far, by taking the
    largest ln(u_s) / D^2 over customers with D^2 > 0 (weighted sampling with exponential keys,
    Efraimidis and Spirakis). u_s = hash_fraction(seed|s|customer_id), so the same data and seed
    give the same centres on every engine. Ties go to the lower customer_id. When every customer
    sits on a centre (fewer distinct customers than k) no further centre is picked.

    One statement per pick keeps each query small: as one query of chained steps, Spark's planner
    takes minutes, and its analyzer gives up on deeper chains. Renders no SQL of its own. -#}
{% macro kmeans_sql_pick_initial_centroids() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set settings = kmeans_sql_settings() -%}
    {%- set features = settings.features -%}
    {%- set picks = kmeans_sql_scratch_relation('picks') -%}
    {%- for pick in range(1, settings.k + 1) -%}
        {%- set pick_sql -%}
            with

            points as (

                select * from {{ ref('kmeans_sql_points') }}

            ),
            {%- if pick > 1 %}

            distances as (

                select
                    points.customer_id,
                    min({{ kmeans_sql_squared_distance('points', 'picks', features) }}) as nearest_squared_distance
                from points
                cross join {{ picks }} as picks
                group by points.customer_id

            ),
            {%- endif %}

            keyed as (

                select
                    points.*,
                    {%- set draw = hash_fraction("'" ~ settings.seed ~ "|" ~ pick ~ "|' || cast(points.customer_id as " ~ dbt.type_string() ~ ")") %}
                    {%- if pick == 1 %}
                    ln({{ draw }}) as pick_key
                    {%- else %}
                    case
                        when distances.nearest_squared_distance > 0
                            then ln({{ draw }}) / distances.nearest_squared_distance
                    end as pick_key
                    {%- endif %}
                from points
                {%- if pick > 1 %}
                inner join distances
                    on points.customer_id = distances.customer_id
                {%- endif %}

            ),

            ranked as (

                select
                    *,
                    row_number() over (order by pick_key desc, customer_id) as pick_rank
                from keyed
                where pick_key is not null

            )

            select
                {{ pick }} as cluster_index,
                customer_id as picked_customer_id
                {%- for feature in features %},
                z_{{ feature.index }} as c_{{ feature.index }}
                {%- endfor %}
            from ranked
            where pick_rank = 1
        {%- endset -%}
        {%- if pick == 1 -%}
            {%- do kmeans_sql_replace_table(picks, pick_sql) -%}
        {%- else -%}
            {%- do run_query("insert into " ~ picks ~ "\n" ~ pick_sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
