{#- True when the text holds something shaped like an e-mail address anywhere in it (null for a
    null text). The plain `like` first spares the regular expression on the many texts without
    an @ (order and customer ids of every row). -#}
{% macro looks_like_email(expression) -%}
    ({{ expression }} like '%@%' and {{ adapter.dispatch('looks_like_email', 'customer_segmentation')(expression) }})
{%- endmacro %}

{% macro default__looks_like_email(expression) -%}
    ({{ expression }} ~ {{ sql_string_literal(email_pattern()) }})
{%- endmacro %}

{% macro duckdb__looks_like_email(expression) -%}
    regexp_matches({{ expression }}, {{ sql_string_literal(email_pattern()) }})
{%- endmacro %}

{#- Spark's rlike is Java's regular expressions, which read the pattern the same way; a Spark
    string literal reads a backslash as an escape, so each is doubled. -#}
{% macro spark__looks_like_email(expression) -%}
    ({{ expression }} rlike {{ sql_string_literal(email_pattern() | replace('\\', '\\\\')) }})
{%- endmacro %}
