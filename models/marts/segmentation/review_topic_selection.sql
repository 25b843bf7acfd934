{#- How many topics the reviews hold: every k tried, its stability (mean Jaccard overlap of the
    top words of topics refitted on random subsets, customer_segmentation.segmentation.reviews) and NMF
    reconstruction error; the most stable k is chosen. One row per k tried. -#}
with

artifacts as (

    select * from ({{ review_text_artifacts() }}) as artifacts
    where record_type = 'topic_k'

),

final as (

    select
        k,
        max(case when metric = 'stability' then value end) as stability,
        max(case when metric = 'reconstruction_error' then value end) as reconstruction_error,
        max(case when metric = 'is_chosen' then value end) = 1 as is_chosen
    from artifacts
    group by k

)

select * from final
