{#- Every eligible customer assigned to the nearest segment centre of the stored model, in SQL:
    customers are scored without refitting, and the scoring runs on any engine.

    Each numeric dimension is (t(coalesce(x, fill)) - center) / scale, clipped to +-clip_limit
    (per dimension: a weighted dimension has its own, see preprocessing.weight_scaling); a one-hot
    dimension is (indicator - center) / scale; exactly as customer_segmentation.preprocessing
    does it.

    The list of model dimensions is read from segment_model_scaling when the model is compiled
    (its upstream Python model has already run by then); the scaling parameters and centroids
    themselves are joined at run time. Ties go to the lower segment id. -#}
{%- if setting('segmentation', 'algorithm') == 'rfm_grid' %}
{#- rfm_grid: the customer's label in the classic RFM grid at as_of_date (int_customers_rfm_scored;
    segment_model_fit_rfm_grid). There is no centre, so no distance. #}
with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

scored as (

    select scored.*
    from {{ ref('int_customers_rfm_scored') }} as scored
    inner join run_date
        on scored.cutoff_date = run_date.as_of_date

),

model as (

    select distinct model_id from {{ ref('segment_model_segments') }}

),

final as (

    select
        scored.customer_id,
        model.model_id,
        scored.rfm_segment_id as segment_id,
        cast(null as {{ type_double() }}) as distance_to_centroid
    from scored
    cross join model

)

select * from final
{%- else %}
{%- set dimensions = [] -%}
{%- if execute -%}
    {%- set scaling_relation = load_relation(ref('segment_model_scaling')) -%}
    {%- if scaling_relation is not none -%}
        {%- set scaling_rows = run_query(
            "select feature, source_column, category_value, transform from "
            ~ ref('segment_model_scaling') ~ " order by position") -%}
        {%- for row in scaling_rows.rows -%}
            {%- do dimensions.append({
                'feature': row[0], 'source_column': row[1],
                'category_value': row[2], 'transform': row[3]}) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endif -%}

with

features as (

    select * from {{ ref('int_customer_features') }}

),

scaling as (

    select * from {{ ref('segment_model_scaling') }}

),

centroids as (

    select * from {{ ref('segment_model_centroids') }}

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

{#- One row holding every dimension's parameters, so the per-customer expression is a plain
    column expression (no per-feature join over all customers). -#}
scaling_wide as (

    select
        count(*) as dimensions
        {%- for dimension in dimensions %},
        max(case when position = {{ loop.index }} then clip_limit end) as clip_{{ loop.index }},
        max(case when position = {{ loop.index }} then fill_value end) as fill_{{ loop.index }},
        max(case when position = {{ loop.index }} then center end) as center_{{ loop.index }},
        max(case when position = {{ loop.index }} then scale end) as scale_{{ loop.index }}
        {%- endfor %}
    from scaling

),

{#- Segments (and the model id) come from the segment list, so a model with no dimensions (one
    segment, empty scaling table) still assigns every customer. -#}
centroids_wide as (

    select
        segments.model_id,
        segments.segment_id
        {%- for dimension in dimensions %},
        max(case when centroids.position = {{ loop.index }} then centroids.centroid_value end) as centroid_{{ loop.index }}
        {%- endfor %}
    from segments
    left join centroids
        on segments.segment_id = centroids.segment_id
    group by segments.model_id, segments.segment_id

),

scaled as (

    select
        features.customer_id
        {%- for dimension in dimensions %},
        {%- if dimension.transform == 'one_hot' %}
        (
            case
                when coalesce(cast(features.{{ adapter.quote(dimension.source_column) }} as {{ dbt.type_string() }}), 'unknown')
                    = {{ sql_string_literal(dimension.category_value) }}
                    then 1.0
                else 0.0
            end
            - scaling_wide.center_{{ loop.index }}
        ) / scaling_wide.scale_{{ loop.index }} as dimension_{{ loop.index }}
        {%- else %}
        {%- set filled = "coalesce(cast(features." ~ adapter.quote(dimension.source_column) ~ " as " ~ type_double() ~ "), scaling_wide.fill_" ~ loop.index ~ ")" %}
        least(greatest(
            (
                {% if dimension.transform == 'log1p' %}ln(1 + greatest({{ filled }}, 0)){% else %}{{ filled }}{% endif %}
                - scaling_wide.center_{{ loop.index }}
            ) / scaling_wide.scale_{{ loop.index }},
            -scaling_wide.clip_{{ loop.index }}), scaling_wide.clip_{{ loop.index }}) as dimension_{{ loop.index }}
        {%- endif %}
        {%- endfor %}
    from features
    cross join scaling_wide

),

distances as (

    select
        scaled.customer_id,
        centroids_wide.model_id,
        centroids_wide.segment_id,
        sqrt(
            0
            {%- for dimension in dimensions %}
            + (scaled.dimension_{{ loop.index }} - centroids_wide.centroid_{{ loop.index }})
            * (scaled.dimension_{{ loop.index }} - centroids_wide.centroid_{{ loop.index }})
            {%- endfor %}
        ) as distance_to_centroid
    from scaled
    cross join centroids_wide

),

{#- Outlier rule (models with an "Unclustered / outliers" segment, e.g. hdbscan): a customer
    goes to the nearest real segment whose radius contains them; outside every radius, to the
    outlier segment (customer_segmentation.scoring). Other models: the nearest centroid. -#}
eligible as (

    select distances.*
    from distances
    inner join segments
        on distances.segment_id = segments.segment_id
    where
        not segments.is_outlier_segment
        and (
            not exists (select 1 from segments as outlier_segments where outlier_segments.is_outlier_segment)
            or distances.distance_to_centroid <= segments.radius
        )

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id order by distance_to_centroid, segment_id
        ) as distance_rank
    from eligible

),

outliers as (

    select distances.*
    from distances
    inner join segments
        on distances.segment_id = segments.segment_id
    where
        segments.is_outlier_segment
        and distances.customer_id not in (select customer_id from ranked)

),

final as (

    select
        customer_id,
        model_id,
        segment_id,
        distance_to_centroid
    from ranked
    where distance_rank = 1

    union all

    select
        customer_id,
        model_id,
        segment_id,
        distance_to_centroid
    from outliers

)

select * from final
{%- endif %}
