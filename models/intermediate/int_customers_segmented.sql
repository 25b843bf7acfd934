{#- Every eligible customer assigned to a segment of the stored model, in SQL: customers are
    scored without refitting, and the scoring runs on any engine. The rule (scaling with the
    stored parameters, nearest centre, ties to the lower segment id, the outlier rule of hdbscan
    models) is the macro score_segments, which scores any relation with the feature columns the
    same way (customer_segmentation.scoring). -#}
{{ score_segments(ref('int_customer_features'), include_segment_name=false) }}
