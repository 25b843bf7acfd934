{#- The input contract (docs/input.md, "Input contract"), declared once: the tables of the `shop` source
    and, per table, the columns staging reads, in order. Returns a list of
    {name, is_required, columns: [{name, is_required, expects}]}.

    expects: what a column's type must be able to hold (id: text or a whole number; number;
    timestamp; text: any single value). The `customers` table also has the shop's own columns
    declared in var customer_attributes (numeric ones expect a number), after the contract's and
    before full_name. The ingest step (macro ingest_shop_inputs) checks each input against this
    and gives every staging model a relation with exactly these columns, all text. -#}
{% macro shop_input_contract() %}
    {%- set attribute_columns = [] -%}
    {%- for attribute in customer_attributes() -%}
        {%- do attribute_columns.append((attribute.name, false, 'number' if attribute.type == 'numeric' else 'text')) -%}
    {%- endfor -%}
    {%- set tables = [
        ('orders', true, [
            ('order_id', true, 'id'), ('customer_id', true, 'id'), ('ordered_at', true, 'timestamp'),
            ('amount', true, 'number'), ('status', false, 'text')]),
        ('customers', false, [
            ('customer_id', true, 'id'), ('signup_at', false, 'timestamp'), ('birth_date', false, 'timestamp'),
            ('gender', false, 'text'), ('country', false, 'text'), ('city', false, 'text'),
            ('acquisition_channel', false, 'text'), ('email', false, 'text')]
            + attribute_columns + [('full_name', false, 'text')]),
        ('order_items', false, [
            ('order_id', true, 'id'), ('product_id', true, 'id'), ('quantity', true, 'number'),
            ('unit_price', true, 'number'), ('discount_amount', false, 'number')]),
        ('products', false, [
            ('product_id', true, 'id'), ('category', false, 'text'), ('brand', false, 'text'),
            ('list_price', false, 'number')]),
        ('events', false, [
            ('customer_id', true, 'id'), ('session_id', true, 'id'), ('event_at', true, 'timestamp'),
            ('event_type', true, 'text'), ('product_id', false, 'id'), ('duration_seconds', false, 'number')]),
        ('reviews', false, [
            ('customer_id', true, 'id'), ('product_id', false, 'id'), ('rating', true, 'number'),
            ('review_text', false, 'text'), ('reviewed_at', true, 'timestamp')]),
    ] -%}
    {%- set contract = [] -%}
    {%- for table_name, is_required, columns in tables -%}
        {%- set declared = [] -%}
        {%- for column_name, column_required, expects in columns -%}
            {%- do declared.append({'name': column_name, 'is_required': column_required, 'expects': expects}) -%}
        {%- endfor -%}
        {%- do contract.append({'name': table_name, 'is_required': is_required, 'columns': declared}) -%}
    {%- endfor -%}
    {{ return(contract) }}
{% endmacro %}
