{#- kmeans_sql, step 8: the fitted model as the same long artifact table the Python model
    python_models/segment_model_fit writes (columns: macro model_artifact_columns), so the ml.*
    tables, the scoring SQL and every mart read it unchanged (through segment_model_artifacts):
    record types scaling, dropped_feature, centroid, segment, k_candidate, metric, parameter,
    feature_selection and validation (the RFM grid and recency quartiles on the time hold-out).
    Not computed: silhouette, stability, hold-out ARI, explanation rules, the segments' validity
    (they need pairwise distances or refits). Grain: one row per stored fact, as in segment_model_fit. -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set segmentation = settings('segmentation') -%}
{%- set settings = kmeans_sql_settings() -%}
{%- set features = settings.features -%}
{%- set parameters = {
    'algorithm': 'kmeans_sql',
    'numeric_features': segmentation.numeric_features,
    'log1p_features': segmentation.log1p_features,
    'categorical_features': segmentation.categorical_features,
    'k': settings.k,
    'max_iterations': settings.iterations,
    'initialisation': 'k-means++, draws from md5(seed|pick|customer_id)',
    'seed': settings.seed,
    'max_feature_correlation': settings.max_correlation | float,
    'min_segment_share': settings.min_segment_share | float,
} -%}

with

points as (

    select * from {{ ref('kmeans_sql_points') }}

),

segments as (

    select * from {{ ref('kmeans_sql_segments') }}

),

scaling as (

    select * from {{ ref('kmeans_sql_scaling') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

drift_reference as (

    select * from {{ ref('int_feature_drift_reference') }}

),

validation_sample as (

    select * from {{ ref('int_segment_validation_sample') }}

),

feature_list as (

    select
        feature_index,
        feature,
        transform_name,
        fill_value,
        center,
        scale,
        clip_limit,
        model_position
    from scaling
    where is_kept

),

totals as (

    select
        count(*) as segments,
        sum(training_customers) as training_customers,
        min(training_customers) as smallest_segment_customers,
        sum(cluster_inertia) as inertia,
        max(centroid_shift) as centroid_shift,
        max(iterations) as iterations
    from segments

),

centroid_values as (

    select
        segments.segment_id,
        segments.training_customers,
        feature_list.feature,
        feature_list.model_position,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then segments.c_{{ feature.index }}
            {%- endfor %}
        end as centroid_value
    from segments
    cross join feature_list

),

overall_means as (

    select
        {%- for feature in features %}
            avg(z_{{ feature.index }}) as mean_{{ feature.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from points

),

overall_long as (

    select
        feature_list.feature,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then overall_means.mean_{{ feature.index }}
            {%- endfor %}
        end as overall_mean
    from feature_list
    cross join overall_means

),

{# Weight of each dimension: its share of the between-segment sum of squares around the mean
    of all training customers (customer_segmentation.segmentation.explain.feature_weights). #}
between_segments as (

    select
        centroid_values.feature,
        sum(
            centroid_values.training_customers
            * (centroid_values.centroid_value - overall_long.overall_mean)
            * (centroid_values.centroid_value - overall_long.overall_mean)
        ) as between_sum_of_squares
    from centroid_values
    inner join overall_long
        on centroid_values.feature = overall_long.feature
    group by centroid_values.feature

),

feature_weights as (

    select
        feature,
        case
            when sum(between_sum_of_squares) over () > 0
                then between_sum_of_squares / sum(between_sum_of_squares) over ()
            else 0
        end as weight
    from between_segments

),

{# model_id: a content hash of the settings, as_of_date, scaling and centres, as the Python
    model's (numbers as integers of 1e-8 units, so the text is the same on every engine). #}
identity_parts as (

    select
        1 as part_group,
        feature_index as part_order,
        feature || ':' || coalesce(cast(cast(round(fill_value * 100000000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }}), '')
        || ':' || cast(cast(round(center * 100000000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
        || ':' || cast(cast(round(scale * 100000000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }}) as part_text
    from feature_list

    union all

    select
        2 as part_group,
        segment_id * 1000 + model_position as part_order,
        cast(cast(round(centroid_value * 100000000) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }}) as part_text
    from centroid_values

),

identity_text as (

    select {{ dbt.listagg('part_text', "'|'", 'order by part_group, part_order') }} as identity_parts_text
    from identity_parts

),

model_identity as (

    select
        'kmeans_sql-' || cast(run_date.as_of_date as {{ dbt.type_string() }}) || '-'
        || substr(md5(
            {{ sql_string_literal(tojson(parameters, sort_keys=true)) }} || '|'
            || cast(run_date.as_of_date as {{ dbt.type_string() }}) || '|'
            || coalesce(identity_text.identity_parts_text, '')
        ), 1, 10) as model_id,
        cast(run_date.as_of_date as {{ dbt.type_string() }}) as as_of_date_text
    from run_date
    cross join identity_text

),

scaling_records as (

    select
        {{ model_artifact_columns(
            'scaling', feature='feature_list.feature', position='feature_list.model_position',
            source_column='feature_list.feature', transform='feature_list.transform_name',
            fill_value='feature_list.fill_value', center='feature_list.center', scale='feature_list.scale',
            clip_limit='feature_list.clip_limit') }}
    from feature_list
    cross join model_identity

),

dropped_records as (

    select
        {{ model_artifact_columns('dropped_feature', feature='scaling.feature', text_value='scaling.drop_reason') }}
    from scaling
    cross join model_identity
    where not scaling.is_kept
    {%- for name in settings.unknown_features %}

        union all

        select
            {{ model_artifact_columns(
                'dropped_feature', feature=sql_string_literal(name),
                text_value="'not a column of the feature table'") }}
        from model_identity
    {%- endfor %}

),

centroid_records as (

    select
        {{ model_artifact_columns(
            'centroid', segment_id='centroid_values.segment_id', feature='centroid_values.feature',
            position='centroid_values.model_position', value='centroid_values.centroid_value') }}
    from centroid_values
    cross join model_identity

),

segment_fact_names as (

    select 'segment_name' as fact_name
    union all
    select 'description' as fact_name
    union all
    select 'match_status' as fact_name
    union all
    select 'training_customers' as fact_name
    union all
    select 'radius' as fact_name
    union all
    select 'is_outlier_segment' as fact_name
    union all
    select 'match_distance' as fact_name

),

segment_facts as (

    select
        segments.segment_id,
        segment_fact_names.fact_name,
        case segment_fact_names.fact_name
            when 'training_customers' then cast(segments.training_customers as {{ type_double() }})
            when 'radius' then segments.radius
            when 'is_outlier_segment' then 0
        end as fact_value,
        case segment_fact_names.fact_name
            when 'segment_name' then segments.segment_name
            when 'description' then segments.segment_description
            when 'match_status' then 'new'
        end as fact_text
    from segments
    cross join segment_fact_names

),

segment_records as (

    select
        {{ model_artifact_columns(
            'segment', segment_id='segment_facts.segment_id', metric='segment_facts.fact_name',
            value='segment_facts.fact_value', text_value='segment_facts.fact_text') }}
    from segment_facts
    cross join model_identity

),

model_dimensions as (

    select count(*) as dimensions from feature_list

),

{# One row per model-level fact: its name, its value and the one-row CTE that holds it. #}
model_facts as (
    {%- for fact_name, fact_value, fact_source in [
        ('k', 'totals.segments', 'totals'),
        ('inertia', 'totals.inertia', 'totals'),
        ('training_customers', 'totals.training_customers', 'totals'),
        ('fit_sample_customers', 'totals.training_customers', 'totals'),
        ('dimensions', 'model_dimensions.dimensions', 'model_dimensions'),
        ('min_segment_share',
            'cast(totals.smallest_segment_customers as ' ~ type_double() ~ ') / totals.training_customers', 'totals'),
        ('iterations', 'totals.iterations', 'totals'),
        ('centroid_shift', 'totals.centroid_shift', 'totals'),
        ('max_segment_id_issued', 'totals.segments', 'totals'),
    ] %}

        select
            '{{ fact_name }}' as fact_name,
            {{ fact_value }} as fact_value
        from {{ fact_source }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

metric_records as (

    select
        {{ model_artifact_columns('metric', metric='model_facts.fact_name', value='model_facts.fact_value') }}
    from model_facts
    cross join model_identity

),

{# The one k tried. is_eligible: the smallest segment holds at least var
    segmentation.min_segment_share of the customers (reported; kmeans_sql does not change k). #}
candidate_facts as (

    select
        'inertia' as fact_name,
        totals.inertia as fact_value
    from totals
    union all
    select
        'min_segment_share' as fact_name,
        cast(totals.smallest_segment_customers as {{ type_double() }}) / totals.training_customers as fact_value
    from totals
    union all
    select
        'is_eligible' as fact_name,
        case
            when
                cast(totals.smallest_segment_customers as {{ type_double() }}) / totals.training_customers
                >= {{ settings.min_segment_share }}
                then 1
            else 0
        end as fact_value
    from totals
    union all
    select
        'is_chosen' as fact_name,
        1 as fact_value
    from totals

),

candidate_records as (

    select
        {{ model_artifact_columns(
            'k_candidate', k='totals.segments', metric='candidate_facts.fact_name',
            value='candidate_facts.fact_value') }}
    from candidate_facts
    cross join totals
    cross join model_identity

),

parameter_records as (
    {%- for name, parameter_value in parameters.items() %}

        select
            {{ model_artifact_columns(
                'parameter', metric=sql_string_literal(name), text_value=sql_string_literal(tojson(parameter_value))) }}
        from model_identity

        union all
    {%- endfor %}

    select
        {{ model_artifact_columns('parameter', metric="'as_of_date'", text_value='model_identity.as_of_date_text') }}
    from model_identity

),

feature_selection_records as (

    select
        {{ model_artifact_columns(
            'feature_selection', feature='feature_list.feature', position='feature_list.model_position',
            metric="'kept'", value='feature_weights.weight') }}
    from feature_list
    cross join model_identity
    left join feature_weights
        on feature_list.feature = feature_weights.feature

    union all

    select
        {{ model_artifact_columns(
            'feature_selection', feature='scaling.feature', metric="'dropped'", text_value='scaling.drop_reason') }}
    from scaling
    cross join model_identity
    where not scaling.is_kept
    {%- for name in settings.unknown_features %}

        union all

        select
            {{ model_artifact_columns(
                'feature_selection', feature=sql_string_literal(name), metric="'dropped'",
                text_value="'not a column of the feature table'") }}
        from model_identity
    {%- endfor %}

),

{# The drift reference of this run's customers and this run's decision: kmeans_sql keeps no model
    between runs (customer_segmentation.segmentation.model_choice keeps or refits the scikit-learn models). #}
run_records as (

    {{ sql_fit_run_records('drift_reference', 'kmeans_sql fits a new model in SQL on every build') }}

),

{# The RFM grid and recency quartiles on the time hold-out; the segments are not judged there:
    that needs a refit one horizon back (customer_segmentation.segmentation.validation). #}
validation_records as (

    {{ segment_validation_records(
        'validation_sample',
        segments_status='not measured for the segments: kmeans_sql does not refit them one horizon back') }}

),

final as (

    select * from scaling_records
    union all
    select * from dropped_records
    union all
    select * from centroid_records
    union all
    select * from segment_records
    union all
    select * from candidate_records
    union all
    select * from metric_records
    union all
    select * from parameter_records
    union all
    select * from feature_selection_records
    union all
    select * from run_records
    union all
    select * from validation_records

)

select * from final
