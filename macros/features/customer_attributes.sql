{#- The shop's own customer attributes (var customer_attributes), checked and normalised: extra
    columns of the `customers` input, beyond the contract, that describe customers (income band,
    household size, loyalty tier, a B2B flag). docs/input.md, "Customer attributes".

        customer_attributes:
          loyalty_tier: categorical                  # short form
          household_size: numeric
          income: {type: numeric, bins: [25000, 50000, 100000], sensitive: true}
          marital_status: {type: categorical, sensitive: true, max_levels: 5}

    Options: type (categorical | numeric, required); bins (numeric only: increasing cut points;
    the attribute then leaves staging as a band, <name>_band, and the number stays in staging,
    as the birth date does); sensitive (default false: true adds it to the fairness view
    marts.segment_fairness and keeps it out of segment descriptions; a numeric one needs bins);
    max_levels (default 10) and min_level_share (default 0.01): a categorical level outside the
    max_levels most frequent, or held by fewer than min_level_share of the customers, becomes
    'other', so that no level small enough to single out a customer leaves staging.

    Returns a list, in the declared order, of dicts: name (the input column), type, bins,
    sensitive, max_levels, min_level_share, column (the column after staging: name, or
    <name>_band) and is_categorical (true for categorical and binned attributes). Anything
    else stops the build with a message naming the var, the attribute and the rule. -#}
{% macro customer_attributes() %}
    {%- set declared = var('customer_attributes', none) -%}
    {%- if declared is none or declared == '' -%}
        {{ return([]) }}
    {%- endif -%}
    {%- if declared is not mapping -%}
        {{ exceptions.raise_compiler_error("var customer_attributes must map attribute names to categorical or numeric (or to {type: ..., bins: [...], sensitive: true}), got " ~ (declared | string | tojson)) }}
    {%- endif -%}
    {%- set contract_columns = ['customer_id', 'signup_at', 'birth_date', 'gender', 'country', 'city', 'acquisition_channel', 'email', 'full_name'] -%}
    {%- set feature_columns = customer_numeric_features(include_attributes=false)
        + ['customer_id', 'cutoff_date', 'as_of_date', 'top_category', 'gender', 'age_band', 'country',
           'acquisition_channel', 'signup_date', 'first_order_date', 'last_order_date'] -%}
    {%- set personal_columns = [] -%}
    {%- for column_name in var('personal_data_columns') -%}
        {%- do personal_columns.append(column_name | string | lower) -%}
    {%- endfor -%}
    {#- Columns the staging and feature models use next to the attributes. -#}
    {%- set reserved_names = ['fingerprint', 'occurrence', 'parsed_birth_date', 'has_invalid_birth_date',
        'attribute_failure', 'validation_failure', 'rejection_reason', 'rejected_attribute', 'source_row_key',
        'version_rank', 'age_years', 'sample_rank', 'level'] -%}
    {%- set known_options = ['type', 'bins', 'sensitive', 'max_levels', 'min_level_share'] -%}
    {%- set attributes = [] -%}
    {%- set columns_taken = [] -%}
    {%- for name, given in declared.items() -%}
        {%- set where = "var customer_attributes, attribute " ~ (name | string | tojson) ~ ": " -%}
        {%- if name is not string or not modules.re.fullmatch('[a-z][a-z0-9_]{0,58}', name) -%}
            {{ exceptions.raise_compiler_error(where ~ "the name must be the column's name in the customers input, in lower case: a letter, then letters, digits or underscores (at most 59).") }}
        {%- endif -%}
        {%- if name in personal_columns -%}
            {{ exceptions.raise_compiler_error(where ~ "it is named like personal data (var personal_data_columns), which never leaves staging.") }}
        {%- endif -%}
        {%- if name in contract_columns -%}
            {{ exceptions.raise_compiler_error(where ~ "it is a column of the input contract, staged already; declare only extra columns.") }}
        {%- endif -%}
        {%- if name in reserved_names or name.startswith('raw_') -%}
            {{ exceptions.raise_compiler_error(where ~ "the name is used by the pipeline itself (" ~ (reserved_names | join(', ')) ~ ", or raw_...); rename the column or the attribute.") }}
        {%- endif -%}
        {%- set spec = {'type': given} if given is string else given -%}
        {%- if spec is not mapping -%}
            {{ exceptions.raise_compiler_error(where ~ "expected categorical, numeric or a mapping of options (" ~ (known_options | join(', ')) ~ "), got " ~ (given | string | tojson)) }}
        {%- endif -%}
        {%- for option in spec -%}
            {%- if option not in known_options -%}
                {{ exceptions.raise_compiler_error(where ~ "unknown option " ~ (option | string | tojson) ~ "; the options are " ~ (known_options | join(', ')) ~ ".") }}
            {%- endif -%}
        {%- endfor -%}
        {%- set attribute_type = spec.get('type') | string | lower | trim -%}
        {%- if attribute_type not in ['categorical', 'numeric'] -%}
            {{ exceptions.raise_compiler_error(where ~ "type must be categorical or numeric, got " ~ (spec.get('type') | string | tojson)) }}
        {%- endif -%}
        {%- set bins = spec.get('bins') or [] -%}
        {%- if bins -%}
            {%- if attribute_type != 'numeric' -%}
                {{ exceptions.raise_compiler_error(where ~ "bins are for numeric attributes; a categorical one already has levels.") }}
            {%- endif -%}
            {%- if bins is string or bins is mapping or bins is not iterable -%}
                {{ exceptions.raise_compiler_error(where ~ "bins must be a list of increasing numbers, got " ~ (bins | string | tojson)) }}
            {%- endif -%}
            {%- for cut in bins -%}
                {%- if cut is boolean or not modules.re.fullmatch('-?[0-9]+(\\.[0-9]+)?', cut | string) -%}
                    {{ exceptions.raise_compiler_error(where ~ "bins must be a list of increasing numbers, got " ~ (bins | string | tojson)) }}
                {%- endif -%}
                {%- if not loop.first and (cut | float) <= (loop.previtem | float) -%}
                    {{ exceptions.raise_compiler_error(where ~ "bins must be a list of increasing numbers, got " ~ (bins | string | tojson)) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- set sensitive = spec.get('sensitive', false) -%}
        {%- if sensitive is not boolean -%}
            {{ exceptions.raise_compiler_error(where ~ "sensitive must be true or false, got " ~ (sensitive | string | tojson)) }}
        {%- endif -%}
        {%- if sensitive and attribute_type == 'numeric' and not bins -%}
            {{ exceptions.raise_compiler_error(where ~ "a sensitive numeric attribute needs bins: the fairness view compares groups of customers.") }}
        {%- endif -%}
        {%- set max_levels = spec.get('max_levels', 10) -%}
        {%- if max_levels is boolean or not modules.re.fullmatch('[0-9]+', max_levels | string) or (max_levels | int) < 1 or (max_levels | int) > 50 -%}
            {{ exceptions.raise_compiler_error(where ~ "max_levels must be a whole number from 1 to 50, got " ~ (max_levels | string | tojson)) }}
        {%- endif -%}
        {%- set min_level_share = spec.get('min_level_share', 0.01) -%}
        {%- if min_level_share is boolean or not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', min_level_share | string) or (min_level_share | float) > 0.5 -%}
            {{ exceptions.raise_compiler_error(where ~ "min_level_share must be a number from 0 to 0.5, got " ~ (min_level_share | string | tojson)) }}
        {%- endif -%}
        {%- set column = name ~ '_band' if bins else name -%}
        {%- if column in feature_columns or column in columns_taken or column in personal_columns -%}
            {{ exceptions.raise_compiler_error(where ~ "after staging it would be the column " ~ column ~ ", which the feature table already has; rename the attribute.") }}
        {%- endif -%}
        {%- do columns_taken.append(column) -%}
        {%- do attributes.append({
            'name': name,
            'type': attribute_type,
            'bins': bins | list,
            'sensitive': sensitive,
            'max_levels': max_levels | int,
            'min_level_share': min_level_share | string,
            'column': column,
            'is_categorical': attribute_type == 'categorical' or (bins | length > 0),
        }) -%}
    {%- endfor -%}
    {{ return(attributes) }}
{% endmacro %}
