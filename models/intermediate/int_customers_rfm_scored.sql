{#- The classic RFM grid and recency quartiles of every customer at every feature cutoff: the
    baselines the segments are judged against (marts.segment_validation) and the segmentation of
    var segmentation_algorithm rfm_grid.
    - recency_score (5 = the most recent fifth), frequency_score and monetary_score (5 = the
      highest fifth): quintiles of the customers at the same cutoff. Edges are the 20/40/60/80th
      continuous percentiles; a value equal to an edge falls in the lower quintile, so customers
      who share a value (one order) share a score (as the rfm baseline of prediction_evaluation);
    - frequency_monetary_score: the mean of the two, rounded up (1-5);
    - rfm_segment_id, rfm_segment_name: the 11-label grid (Champions ... Lost) on recency_score x
      frequency_monetary_score, from the seed rfm_grid_segments (the mapping is editable there);
    - recency_quartile: quartiles of recency_days, 1 = the most recent quarter.
    Grain: one row per cutoff and customer with a purchase before it. -#}
with

features as (

    select
        cutoff_date,
        customer_id,
        recency_days,
        frequency,
        coalesce(monetary, 0) as monetary
    from {{ ref('int_customer_features_by_cutoff') }}

),

grid as (

    select * from {{ ref('rfm_grid_segments') }}

),

edges as (

    select
        cutoff_date,
        {%- for column in ['recency_days', 'frequency', 'monetary'] %}
        {%- for fraction in [0.2, 0.4, 0.6, 0.8] %}
        {{ percentile_continuous(column, fraction) }} as {{ column }}_quintile_edge_{{ loop.index }},
        {%- endfor %}
        {%- endfor %}
        {%- for fraction in [0.25, 0.5, 0.75] %}
        {{ percentile_continuous('recency_days', fraction) }} as recency_days_quartile_edge_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from features
    group by cutoff_date

),

{#- 1 + the number of edges strictly below the value. -#}
scored as (

    select
        features.cutoff_date,
        features.customer_id,
        {%- for column, score in [('recency_days', 'recency_rank'), ('frequency', 'frequency_score'), ('monetary', 'monetary_score')] %}
        1
        {%- for edge in range(1, 5) %}
        + case when features.{{ column }} > edges.{{ column }}_quintile_edge_{{ edge }} then 1 else 0 end
        {%- endfor %} as {{ score }},
        {%- endfor %}
        1
        {%- for edge in range(1, 4) %}
        + case when features.recency_days > edges.recency_days_quartile_edge_{{ edge }} then 1 else 0 end
        {%- endfor %} as recency_quartile
    from features
    inner join edges
        on features.cutoff_date = edges.cutoff_date

),

final as (

    select
        scored.cutoff_date,
        scored.customer_id,
        6 - scored.recency_rank as recency_score,
        scored.frequency_score,
        scored.monetary_score,
        cast(ceiling((scored.frequency_score + scored.monetary_score) / 2.0) as {{ dbt.type_int() }})
            as frequency_monetary_score,
        scored.recency_quartile
    from scored

),

labelled as (

    select
        final.*,
        grid.segment_id as rfm_segment_id,
        grid.segment_name as rfm_segment_name
    from final
    {#- A left join: a cell missing from an edited seed leaves the label null (a not_null test
        says so) rather than dropping the customer. #}
    left join grid
        on
            final.recency_score = grid.recency_score
            and final.frequency_monetary_score = grid.frequency_monetary_score

)

select * from labelled
