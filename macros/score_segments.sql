{#- Scores any relation that has the feature columns with the current stored segment model
    (ml.segment_model_scaling, _centroids, _segments), without refitting, in SQL that runs on
    any engine. The rule is the one of customer_segmentation.scoring:

    - each numeric dimension is (t(coalesce(x, fill)) - center) / scale, clipped to
      +-clip_limit (per dimension: a weighted dimension has its own, see
      preprocessing.weight_scaling), with t = ln(1 + greatest(x, 0)) for log1p features, exactly
      as customer_segmentation.preprocessing does it; a one-hot dimension is (indicator -
      center) / scale, the indicator 1 when the category (null read as 'unknown') equals its
      value;
    - the nearest centroid by Euclidean distance wins, ties to the lower segment id; in a model
      with an outlier segment (hdbscan), only the real segments whose radius holds the row are
      candidates, and a row outside every radius goes to the outlier segment.

    relation: a ref(), source() or relation, or the name of a CTE of the calling model; it needs
      the id column and every source column of the stored model's dimensions (extra columns are
      ignored; a missing one stops the build with its name when relation is a relation).
    id_column: the column that identifies a row (default customer_id).
    include_segment_name: add segment_name (from ml.segment_model_segments).

    Returns a select statement, one row per row of relation: the id column, model_id,
    segment_id, [segment_name,] distance_to_centroid. int_customers_segmented is this macro
    applied to int_customer_features. Usage in a model:

        with scored as ({{ score_segments(ref('my_customer_features')) }})
        select * from scored

    The list of model dimensions is read from segment_model_scaling when the calling model is
    compiled (the model tables exist by then); the scaling parameters and centroids themselves
    are joined at run time. -#}
{% macro score_segments(relation, id_column='customer_id', include_segment_name=true) %}
{%- set dimensions = [] -%}
{%- set quoted_id = adapter.quote(id_column) -%}
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
    {%- if relation is not string -%}
        {%- set present = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for name in [id_column] + (dimensions | map(attribute='source_column') | list) -%}
            {%- if (name | lower) not in present and name not in missing -%}
                {%- do missing.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if present and missing -%}
            {{ exceptions.raise_compiler_error(
                "score_segments: " ~ relation ~ " has no column " ~ (missing | join(', '))
                ~ "; the stored segment model needs " ~ id_column ~ " and "
                ~ (dimensions | map(attribute='source_column') | unique | join(', '))) }}
        {%- endif -%}
    {%- endif -%}
{%- endif -%}

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

{#- One row holding every dimension's parameters, so the per-row expression is a plain column
    expression (no per-feature join over all rows). -#}
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
    segment, empty scaling table) still assigns every row. -#}
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
        features.{{ quoted_id }}
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
        scaled.{{ quoted_id }},
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

{#- Outlier rule (models with an "Unclustered / outliers" segment, e.g. hdbscan): a row goes to
    the nearest real segment whose radius contains it; outside every radius, to the outlier
    segment (customer_segmentation.scoring). Other models: the nearest centroid. -#}
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
