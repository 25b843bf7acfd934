with

segmented as (

    select * from {{ ref('int_customers_segmented') }}

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

features as (

    select * from {{ ref('int_customer_features') }}

),

final as (

    select
        segmented.customer_id,
        -- The RFM grid's ids are integers: the contract promises one type whatever the algorithm.
        cast(segmented.segment_id as {{ dbt.type_bigint() }}) as segment_id,
        segments.segment_name,
        features.as_of_date,
        segmented.model_id,
        -- Spark's datediff is an int, DuckDB's a bigint: the contract promises one type.
        cast(features.recency_days as {{ dbt.type_bigint() }}) as recency_days,
        features.frequency,
        features.monetary,
        segmented.distance_to_centroid
    from segmented
    inner join features
        on segmented.customer_id = features.customer_id
    inner join segments
        on segmented.segment_id = segments.segment_id

)

select * from final
