{#- The classic RFM grid and recency quartiles of every customer at every feature cutoff: the
    baselines the segments are judged against (marts.segment_validation) and the segmentation of
    segmentation.algorithm rfm_grid.
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
        {{ percentile_continuous('recency_days', 0.2) }} as recency_days_quintile_edge_1,
        {{ percentile_continuous('recency_days', 0.4) }} as recency_days_quintile_edge_2,
        {{ percentile_continuous('recency_days', 0.6) }} as recency_days_quintile_edge_3,
        {{ percentile_continuous('recency_days', 0.8) }} as recency_days_quintile_edge_4,
        {{ percentile_continuous('frequency', 0.2) }} as frequency_quintile_edge_1,
        {{ percentile_continuous('frequency', 0.4) }} as frequency_quintile_edge_2,
        {{ percentile_continuous('frequency', 0.6) }} as frequency_quintile_edge_3,
        {{ percentile_continuous('frequency', 0.8) }} as frequency_quintile_edge_4,
        {{ percentile_continuous('monetary', 0.2) }} as monetary_quintile_edge_1,
        {{ percentile_continuous('monetary', 0.4) }} as monetary_quintile_edge_2,
        {{ percentile_continuous('monetary', 0.6) }} as monetary_quintile_edge_3,
        {{ percentile_continuous('monetary', 0.8) }} as monetary_quintile_edge_4,
        {{ percentile_continuous('recency_days', 0.25) }} as recency_days_quartile_edge_1,
        {{ percentile_continuous('recency_days', 0.5) }} as recency_days_quartile_edge_2,
        {{ percentile_continuous('recency_days', 0.75) }} as recency_days_quartile_edge_3
    from features
    group by cutoff_date

),

{# 1 + the number of edges strictly below the value. #}
scored as (

    select
        features.cutoff_date,
        features.customer_id,
        1
        + case when features.recency_days > edges.recency_days_quintile_edge_1 then 1 else 0 end
        + case when features.recency_days > edges.recency_days_quintile_edge_2 then 1 else 0 end
        + case when features.recency_days > edges.recency_days_quintile_edge_3 then 1 else 0 end
        + case when features.recency_days > edges.recency_days_quintile_edge_4 then 1 else 0 end as recency_rank,
        1
        + case when features.frequency > edges.frequency_quintile_edge_1 then 1 else 0 end
        + case when features.frequency > edges.frequency_quintile_edge_2 then 1 else 0 end
        + case when features.frequency > edges.frequency_quintile_edge_3 then 1 else 0 end
        + case when features.frequency > edges.frequency_quintile_edge_4 then 1 else 0 end as frequency_score,
        1
        + case when features.monetary > edges.monetary_quintile_edge_1 then 1 else 0 end
        + case when features.monetary > edges.monetary_quintile_edge_2 then 1 else 0 end
        + case when features.monetary > edges.monetary_quintile_edge_3 then 1 else 0 end
        + case when features.monetary > edges.monetary_quintile_edge_4 then 1 else 0 end as monetary_score,
        1
        + case when features.recency_days > edges.recency_days_quartile_edge_1 then 1 else 0 end
        + case when features.recency_days > edges.recency_days_quartile_edge_2 then 1 else 0 end
        + case when features.recency_days > edges.recency_days_quartile_edge_3 then 1 else 0 end as recency_quartile
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
