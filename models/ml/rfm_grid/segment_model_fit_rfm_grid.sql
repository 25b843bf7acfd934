{#- rfm_grid: the classic 11-label RFM grid as the segmentation (var segmentation_algorithm
    rfm_grid), written as the same long artifact table as the Python model segment_model_fit, so
    every ml.* table and mart reads it unchanged (through segment_model_artifacts). The labels
    come from the seed rfm_grid_segments (segment_id, name, description), each customer's label
    from int_customers_rfm_scored at as_of_date (scored in SQL by int_customers_segmented). The
    quintiles are those of the run's customers, so the model is rebuilt on every run date (its
    model_id carries as_of_date). Record types: segment, explanation_rule (the grid's cells as
    rules, with coverage and precision), k_candidate, metric, parameter and validation (the grid
    judged on the time hold-out as segments and as the RFM grid, and recency quartiles). No
    scaling or centroids. Grain: one row per stored fact, as in segment_model_fit. -#}
{{ config(enabled=var('segmentation_algorithm') == 'rfm_grid') }}
{%- set min_segment_share = validated_number_var('segmentation_min_segment_share', minimum=0) %}

with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

grid as (

    select * from {{ ref('rfm_grid_segments') }}

),

scored as (

    select scored.*
    from {{ ref('int_customers_rfm_scored') }} as scored
    inner join run_date
        on scored.cutoff_date = run_date.as_of_date

),

validation_sample as (

    select * from {{ ref('int_segment_validation_sample') }}

),

drift_reference as (

    select * from {{ ref('int_feature_drift_reference') }}

),

labels as (

    select
        segment_id,
        max(segment_name) as segment_name,
        max(description) as description
    from grid
    group by segment_id

),

label_sizes as (

    select
        rfm_segment_id as segment_id,
        count(*) as customers
    from scored
    group by rfm_segment_id

),

segments as (

    select
        labels.segment_id,
        labels.segment_name,
        labels.description,
        label_sizes.customers
    from labels
    inner join label_sizes
        on labels.segment_id = label_sizes.segment_id

),

totals as (

    select
        count(*) as segments,
        sum(customers) as customers,
        min(customers) as smallest_segment_customers,
        (select max(segment_id) from labels) as max_segment_id
    from segments

),

{# A label's cells as rectangles: the recency scores that share one frequency-monetary range. #}
rule_cells as (

    select
        segment_id,
        recency_score,
        min(frequency_monetary_score) as fm_low,
        max(frequency_monetary_score) as fm_high
    from grid
    group by segment_id, recency_score

),

rules as (

    select
        segment_id,
        min(recency_score) as r_low,
        max(recency_score) as r_high,
        fm_low,
        fm_high
    from rule_cells
    group by segment_id, fm_low, fm_high

),

rule_support as (

    select
        rules.segment_id,
        rules.r_low,
        rules.r_high,
        rules.fm_low,
        rules.fm_high,
        count(scored.customer_id) as covered_customers,
        sum(case when scored.rfm_segment_id = rules.segment_id then 1 else 0 end) as in_segment
    from rules
    left join scored
        on
            scored.recency_score between rules.r_low and rules.r_high
            and scored.frequency_monetary_score between rules.fm_low and rules.fm_high
    group by rules.segment_id, rules.r_low, rules.r_high, rules.fm_low, rules.fm_high

),

rule_texts as (

    select
        rule_support.*,
        case
            when r_low = 1 and r_high = 5 then null
            when r_low = r_high then 'recency_score = ' || cast(r_low as {{ dbt.type_string() }})
            when r_low = 1 then 'recency_score <= ' || cast(r_high as {{ dbt.type_string() }})
            when r_high = 5 then 'recency_score >= ' || cast(r_low as {{ dbt.type_string() }})
            else cast(r_low as {{ dbt.type_string() }}) || ' <= recency_score <= ' || cast(r_high as {{ dbt.type_string() }})
        end as recency_score_condition,
        case
            when fm_low = 1 and fm_high = 5 then null
            when fm_low = fm_high then 'frequency_monetary_score = ' || cast(fm_low as {{ dbt.type_string() }})
            when fm_low = 1 then 'frequency_monetary_score <= ' || cast(fm_high as {{ dbt.type_string() }})
            when fm_high = 5 then 'frequency_monetary_score >= ' || cast(fm_low as {{ dbt.type_string() }})
            else cast(fm_low as {{ dbt.type_string() }}) || ' <= frequency_monetary_score <= ' || cast(fm_high as {{ dbt.type_string() }})
        end as frequency_monetary_score_condition
    from rule_support

),

ranked_rules as (

    select
        rule_texts.segment_id,
        case
            when recency_score_condition is null then coalesce(frequency_monetary_score_condition, 'every customer')
            when frequency_monetary_score_condition is null then recency_score_condition
            else recency_score_condition || ' and ' || frequency_monetary_score_condition
        end as rule_text,
        cast(rule_texts.covered_customers as {{ type_double() }}) as covered_customers,
        cast(rule_texts.in_segment as {{ type_double() }}) / segments.customers as coverage,
        cast(rule_texts.in_segment as {{ type_double() }}) / rule_texts.covered_customers as rule_precision,
        row_number() over (
            partition by rule_texts.segment_id
            order by rule_texts.in_segment desc, rule_texts.r_high desc, rule_texts.fm_high desc
        ) as rule_rank
    from rule_texts
    inner join segments
        on rule_texts.segment_id = segments.segment_id
    -- A cell range no customer falls in describes nobody today: not listed.
    where rule_texts.in_segment > 0

),

{# model_id: a content hash of the mapping and the customers per label at as_of_date. #}
identity_parts as (

    select
        recency_score * 10 + frequency_monetary_score as part_order,
        cast(recency_score as {{ dbt.type_string() }}) || cast(frequency_monetary_score as {{ dbt.type_string() }})
        || ':' || cast(segment_id as {{ dbt.type_string() }}) || ':' || segment_name as part_text
    from grid

    union all

    select
        100 + segment_id as part_order,
        cast(segment_id as {{ dbt.type_string() }}) || '=' || cast(customers as {{ dbt.type_string() }}) as part_text
    from segments

),

model_identity as (

    select
        'rfm_grid-' || cast(run_date.as_of_date as {{ dbt.type_string() }}) || '-'
        || substr(md5(
            cast(run_date.as_of_date as {{ dbt.type_string() }}) || '|'
            || (select {{ dbt.listagg('part_text', "'|'", 'order by part_order') }} from identity_parts)
        ), 1, 10) as model_id,
        cast(run_date.as_of_date as {{ dbt.type_string() }}) as as_of_date_text
    from run_date

),

segment_records as (
    {%- for fact_name, value, text in [
        ('segment_name', 'null', 'segments.segment_name'),
        ('description', 'null', 'segments.description'),
        ('match_status', 'null', "'new'"),
        ('training_customers', 'segments.customers', 'null'),
        ('is_outlier_segment', '0', 'null')] %}

        select
            {{ model_artifact_columns(
                'segment', segment_id='segments.segment_id', metric="'" ~ fact_name ~ "'",
                value=value, text_value=text) }}
        from segments
        cross join model_identity
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

rule_records as (
    {%- for measure, column in [('coverage', 'coverage'), ('precision', 'rule_precision'), ('support', 'covered_customers')] %}

        select
            {{ model_artifact_columns(
                'explanation_rule', segment_id='ranked_rules.segment_id', position='ranked_rules.rule_rank',
                metric="'" ~ measure ~ "'", value='ranked_rules.' ~ column, text_value='ranked_rules.rule_text') }}
        from ranked_rules
        cross join model_identity
        where ranked_rules.rule_rank <= 3
        {%- if not loop.last %}

            union all
        {%- endif %}
    {%- endfor %}

),

model_facts as (

    select
        'k' as fact_name,
        cast(segments as {{ type_double() }}) as fact_value
    from totals
    union all
    select
        'training_customers' as fact_name,
        cast(customers as {{ type_double() }}) as fact_value
    from totals
    union all
    select
        'fit_sample_customers' as fact_name,
        cast(customers as {{ type_double() }}) as fact_value
    from totals
    union all
    select
        'dimensions' as fact_name,
        0 as fact_value
    from totals
    union all
    select
        'min_segment_share' as fact_name,
        cast(smallest_segment_customers as {{ type_double() }}) / customers as fact_value
    from totals
    union all
    select
        'max_segment_id_issued' as fact_name,
        cast(max_segment_id as {{ type_double() }}) as fact_value
    from totals

),

metric_records as (

    select
        {{ model_artifact_columns('metric', metric='model_facts.fact_name', value='model_facts.fact_value') }}
    from model_facts
    cross join model_identity

),

candidate_facts as (

    select
        'min_segment_share' as fact_name,
        cast(smallest_segment_customers as {{ type_double() }}) / customers as fact_value,
        cast(null as {{ dbt.type_string() }}) as fact_text
    from totals
    union all
    select
        'is_eligible' as fact_name,
        case when cast(smallest_segment_customers as {{ type_double() }}) / customers >= {{ min_segment_share }} then 1 else 0 end
            as fact_value,
        cast(null as {{ dbt.type_string() }}) as fact_text
    from totals
    union all
    select
        'is_chosen' as fact_name,
        1 as fact_value,
        cast(null as {{ dbt.type_string() }}) as fact_text
    from totals
    union all
    select
        'selection_reason' as fact_name,
        cast(null as {{ type_double() }}) as fact_value,
        'chosen: the RFM grid has fixed labels (var segmentation_algorithm rfm_grid); '
        || cast(segments as {{ dbt.type_string() }}) || ' of them have customers at as_of_date' as fact_text
    from totals

),

candidate_records as (

    select
        {{ model_artifact_columns(
            'k_candidate', k='totals.segments', metric='candidate_facts.fact_name',
            value='candidate_facts.fact_value', text_value='candidate_facts.fact_text') }}
    from candidate_facts
    cross join totals
    cross join model_identity

),

parameter_records as (

    select
        {{ model_artifact_columns('parameter', metric="'algorithm'", text_value="'\"rfm_grid\"'") }}
    from model_identity

    union all

    select
        {{ model_artifact_columns(
            'parameter', metric="'mapping'",
            text_value="'\"seed rfm_grid_segments: recency quintile x mean of frequency and monetary quintiles\"'") }}
    from model_identity

    union all

    select
        {{ model_artifact_columns('parameter', metric="'as_of_date'", text_value='model_identity.as_of_date_text') }}
    from model_identity

),

validation_records as (

    {{ segment_validation_records('validation_sample', segments_column='rfm_segment_id') }}

),

{# The drift reference of this run's customers and this run's decision: the grid is scored anew
    on every build. #}
run_records as (

    {{ sql_fit_run_records('drift_reference', 'rfm_grid scores the grid anew on every build') }}

),

final as (

    select * from segment_records
    union all
    select * from rule_records
    union all
    select * from metric_records
    union all
    select * from candidate_records
    union all
    select * from parameter_records
    union all
    select * from validation_records
    union all
    select * from run_records

)

select * from final
