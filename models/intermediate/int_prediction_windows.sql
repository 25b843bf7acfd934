{#- The windows the churn and value models learn from and are evaluated on, one per feature
    cutoff (see int_feature_cutoffs):
    - current: features at as_of_date; the customers that get scores (no outcome yet);
    - training: features at as_of_date - horizon, outcomes in [cutoff, as_of_date): fits the models;
    - evaluation (when int_feature_cutoffs has it): features at as_of_date - 2 x horizon, outcomes
      up to the training cutoff: fits a copy that is scored on the training window (time hold-out).
    has_full_history: the data reach one horizon before the cutoff, so recency, frequency and
    tenure at the cutoff are not cut short by the start of the data. -#}
with

cutoffs as (

    select * from {{ ref('int_feature_cutoffs') }}

),

purchases as (

    select orders.ordered_date
    from {{ ref('int_orders_classified') }} as orders
    where orders.is_purchase

),

first_purchase as (

    select min(ordered_date) as first_purchase_date from purchases

),

windows as (

    select
        cutoffs.cutoff_role,
        cutoffs.cutoff_date,
        case
            when cutoffs.cutoff_role != 'current'
                then cast({{ dbt.dateadd('day', setting('prediction', 'horizon_days'), 'cutoffs.cutoff_date') }} as date)
        end as outcome_end_date,
        first_purchase.first_purchase_date,
        coalesce(
            first_purchase.first_purchase_date
            <= cast({{ dbt.dateadd('day', -(setting('prediction', 'horizon_days')), 'cutoffs.cutoff_date') }} as date),
            false
        ) as has_full_history
    from cutoffs
    cross join first_purchase
    where cutoffs.cutoff_role in ('current', 'training', 'evaluation')

)

select * from windows
