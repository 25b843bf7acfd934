{#- Every eligible customer assigned to the nearest segment centre of the stored model, in SQL:
    customers are scored without refitting, and the scoring runs on any engine.

    Each numeric dimension is (t(coalesce(x, fill)) - center) / scale, clipped to +-clip_limit
    (per dimension: a weighted dimension has its own, see preprocessing.weight_scaling); a one-hot
    dimension is (indicator - center) / scale; exactly as customer_segmentation.preprocessing
    does it.

    The SQL is generated from the settings (macro segment_scoring_features), not from the stored
    model: one slot per dimension the settings can give the model. The stored model's scaling
    parameters and centroids are joined at run time, each dimension into its slot (macro
    segment_scoring_slots); a slot the model does not use (a dropped feature, a category slot
    left over) has centre 0, scale 1, clip 0 and centroid 0, so it is 0 for every customer and
    every segment and adds nothing to the distance. Ties go to the lower segment id. -#}
{%- if var('segmentation_algorithm') == 'rfm_grid' %}
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
{%- set scoring = segment_scoring_features() -%}

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

dimension_slots as (

    {{ segment_scoring_slots('scaling') }}

),

{#- One row holding every slot's parameters, so the per-customer expression is a plain column
    expression (no per-feature join over all customers). #}
scaling_wide as (

    select
        count(*) as dimensions
        {%- for feature in scoring.numeric %},
        coalesce(max(case when slot = {{ feature.slot }} then clip_limit end), 0) as clip_{{ feature.slot }},
        coalesce(max(case when slot = {{ feature.slot }} then fill_value end), 0) as fill_{{ feature.slot }},
        coalesce(max(case when slot = {{ feature.slot }} then center end), 0) as center_{{ feature.slot }},
        coalesce(max(case when slot = {{ feature.slot }} then scale end), 1) as scale_{{ feature.slot }}
        {%- endfor %}
        {%- for feature in scoring.categorical %}
        {%- for slot in range(feature.first_slot, feature.first_slot + scoring.categories_per_feature) %},
        max(case when slot = {{ slot }} then category_value end) as category_{{ slot }},
        coalesce(max(case when slot = {{ slot }} then center end), 0) as center_{{ slot }},
        coalesce(max(case when slot = {{ slot }} then scale end), 1) as scale_{{ slot }}
        {%- endfor %}
        {%- endfor %}
    from dimension_slots

),

{#- Segments (and the model id) come from the segment list, so a model with no dimensions (one
    segment, empty scaling table) still assigns every customer. -#}
centroids_wide as (

    select
        segments.model_id,
        segments.segment_id
        {%- for slot in range(1, scoring.slots + 1) %},
        coalesce(max(case when dimension_slots.slot = {{ slot }} then centroids.centroid_value end), 0) as centroid_{{ slot }}
        {%- endfor %}
    from segments
    left join centroids
        on segments.segment_id = centroids.segment_id
    left join dimension_slots
        on centroids.position = dimension_slots.position
    group by segments.model_id, segments.segment_id

),

scaled as (

    select
        features.customer_id
        {%- for feature in scoring.numeric %},
        {%- set filled = "coalesce(cast(features." ~ adapter.quote(feature.name) ~ " as " ~ type_double() ~ "), scaling_wide.fill_" ~ feature.slot ~ ")" %}
        least(greatest(
            (
                {% if feature.transform == 'log1p' %}ln(1 + greatest({{ filled }}, 0)){% else %}{{ filled }}{% endif %}
                - scaling_wide.center_{{ feature.slot }}
            ) / scaling_wide.scale_{{ feature.slot }},
            -scaling_wide.clip_{{ feature.slot }}), scaling_wide.clip_{{ feature.slot }}) as dimension_{{ feature.slot }}
        {%- endfor %}
        {%- for feature in scoring.categorical %}
        {%- for slot in range(feature.first_slot, feature.first_slot + scoring.categories_per_feature) %},
        (
            case
                when coalesce(cast(features.{{ adapter.quote(feature.name) }} as {{ dbt.type_string() }}), 'unknown')
                    = scaling_wide.category_{{ slot }}
                    then 1.0
                else 0.0
            end
            - scaling_wide.center_{{ slot }}
        ) / scaling_wide.scale_{{ slot }} as dimension_{{ slot }}
        {%- endfor %}
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
            {%- for slot in range(1, scoring.slots + 1) %}
            + (scaled.dimension_{{ slot }} - centroids_wide.centroid_{{ slot }})
            * (scaled.dimension_{{ slot }} - centroids_wide.centroid_{{ slot }})
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
