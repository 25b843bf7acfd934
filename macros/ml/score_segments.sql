{#- Scores any relation that has the feature columns with the current stored segment model
    (ml.segment_model_scaling, _centroids, _segments), without refitting, in SQL that runs on
    any engine. The rule is the one of customer_segmentation.segmentation.scoring:

    - each numeric dimension is (t(coalesce(x, fill)) - center) / scale, clipped to
      +-clip_limit (per dimension: a weighted dimension has its own, see
      preprocessing.weight_scaling), with t = ln(1 + greatest(x, 0)) for log1p features, exactly
      as customer_segmentation.segmentation.preprocessing does it; a one-hot dimension is (indicator -
      center) / scale, the indicator 1 when the category (null read as 'unknown') equals its
      value;
    - the nearest centroid by Euclidean distance wins, ties to the lower segment id; in a model
      with an outlier segment (hdbscan), only the real segments whose radius holds the row are
      candidates, and a row outside every radius goes to the outlier segment.

    The SQL is generated from the settings (macro segment_scoring_features), not from the stored
    model: one slot per dimension the settings can give the model. The stored model's scaling
    parameters and centroids are joined at run time, each dimension into its slot (macro
    segment_scoring_slots); a slot the model does not use (a dropped feature, a category slot
    left over) has centre 0, scale 1, clip 0 and centroid 0, so it is 0 for every row and every
    segment and adds nothing to the distance.

    relation: a ref(), source() or relation, or the name of a CTE of the calling model; it needs
      the id column and every feature column the settings can give the model (extra columns are
      ignored; a missing one stops the run with its name when relation is a relation).
    id_column: the column that identifies a row (default customer_id).
    include_segment_name: add segment_name (from ml.segment_model_segments).

    Returns a select statement, one row per row of relation: the id column, model_id,
    segment_id, [segment_name,] distance_to_centroid. int_customers_segmented is this macro
    applied to int_customer_features. Usage in a model:

        with scored as ({{ score_segments(ref('my_customer_features')) }})
        select * from scored
-#}
{% macro score_segments(relation, id_column='customer_id', include_segment_name=true) %}
{%- set scoring = segment_scoring_features() -%}
{%- set quoted_id = adapter.quote(id_column) -%}
{#- The column check reads the catalogue, so `dbt compile` (which reads nothing: see
    tests/end_to_end/test_compile_without_data.py) leaves it to the run. -#}
{%- if execute and relation is not string and flags.WHICH not in ['compile', 'docs'] -%}
    {%- set needed = [id_column] + (scoring.numeric | map(attribute='name') | list)
        + (scoring.categorical | map(attribute='name') | list) -%}
    {%- set present = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for name in needed if (name | lower) not in present and name not in missing -%}
        {%- do missing.append(name) -%}
    {%- endfor -%}
    {%- if present and missing -%}
        {{ exceptions.raise_compiler_error(
            "score_segments: " ~ relation ~ " has no column " ~ (missing | join(', '))
            ~ "; the segment scoring needs " ~ (needed | join(', '))) }}
    {%- endif -%}
{%- endif -%}
{%- set scoring = segment_scoring_features() -%}

with

features as (

    select * from {{ relation }}

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

{#- One row holding every slot's parameters, so the per-row expression is a plain column
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
    segment, empty scaling table) still assigns every row. -#}
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
        features.{{ quoted_id }}
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
        scaled.{{ quoted_id }},
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
    outlier segment (customer_segmentation.segmentation.scoring). Other models: the nearest centroid. -#}
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
            partition by {{ quoted_id }} order by distance_to_centroid, segment_id
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
        and distances.{{ quoted_id }} not in (select ranked.{{ quoted_id }} from ranked)

),

assigned as (

    select
        {{ quoted_id }},
        model_id,
        segment_id,
        distance_to_centroid
    from ranked
    where distance_rank = 1

    union all

    select
        {{ quoted_id }},
        model_id,
        segment_id,
        distance_to_centroid
    from outliers

),

final as (

    select
        assigned.{{ quoted_id }},
        assigned.model_id,
        assigned.segment_id,
        {%- if include_segment_name %}
        segments.segment_name,
        {%- endif %}
        assigned.distance_to_centroid
    from assigned
    {%- if include_segment_name %}
    inner join segments
        on assigned.segment_id = segments.segment_id
    {%- endif %}

)

select * from final
{%- endmacro %}
