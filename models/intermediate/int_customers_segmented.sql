{#- Every eligible customer assigned to a segment of the stored model, in SQL: customers are
    scored without refitting, and the scoring runs on any engine. The rule (scaling with the
    stored parameters, nearest centre, ties to the lower segment id, the outlier rule of hdbscan
    models) and the SQL generated from the settings are the macro score_segments, which scores
    any relation with the feature columns the same way (customer_segmentation.segmentation.scoring). -#}
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
{{ score_segments(ref('int_customer_features'), include_segment_name=false) }}
{%- endif %}
