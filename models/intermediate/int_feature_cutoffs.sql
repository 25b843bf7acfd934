{#- The dates features are computed at. Grain: one row per cutoff_date.
    - the current cutoff: as_of_date (what the segments and scores describe);
    - the training cutoff: as_of_date - prediction.horizon_days, so that models predicting the
      next horizon (churn, value) learn from features that were known back then and labels that
      happened after, never from the future;
    - the evaluation cutoff: two horizons back, so the churn and value models can be trained one
      window earlier and scored on the training window as a time hold-out. -#}
with

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

cutoffs as (

    select
        as_of_date as cutoff_date,
        'current' as cutoff_role
    from run_date
    {%- if setting('prediction', 'horizon_days') > 0 %}

        union all

        select
            cast({{ dbt.dateadd('day', -(setting('prediction', 'horizon_days')), 'as_of_date') }} as date) as cutoff_date,
            'training' as cutoff_role
        from run_date

        union all

        select
            cast({{ dbt.dateadd('day', -2 * (setting('prediction', 'horizon_days')), 'as_of_date') }} as date) as cutoff_date,
            'evaluation' as cutoff_role
        from run_date
    {%- endif %}

)

select * from cutoffs
