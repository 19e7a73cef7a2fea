{#-
    stg_events_fields(): the fields stg_events unpacks from each raw event, as
    (column name, dotted JSON path, data type) for json_fields. One list for
    stg_events and stg_quarantined_events, which must agree on what converts.
-#}
{% macro stg_events_fields() %}
    {{- return([
        ('event_id', 'event_id', 'varchar'),
        ('event_type', 'event_type', 'varchar'),
        ('event_timestamp', 'event_timestamp', 'timestamp'),
        ('session_id', 'session_id', 'varchar'),
        ('customer_id', 'customer.customer_id', 'varchar'),
        ('customer_first_name', 'customer.first_name', 'varchar'),
        ('customer_last_name', 'customer.last_name', 'varchar'),
        ('customer_email', 'customer.email', 'varchar'),
        ('customer_country', 'customer.country', 'varchar'),
        ('customer_signup_date', 'customer.signup_date', 'date'),
        ('channel', 'session.channel', 'varchar'),
        ('device', 'session.device', 'varchar'),
        ('product_id', 'product.product_id', 'varchar'),
        ('product_name', 'product.name', 'varchar'),
        ('product_category', 'product.category', 'varchar'),
        ('product_price', 'product.price', 'decimal(12,2)'),
        ('cart_cart_id', 'cart.cart_id', 'varchar'),
        ('order_cart_id', 'order.cart_id', 'varchar'),
        ('cart_value', 'cart.cart_value', 'decimal(12,2)'),
        ('cart_item_count', 'cart.item_count', 'integer'),
        ('order_id', 'order.order_id', 'varchar'),
        ('order_status', 'order.status', 'varchar'),
        ('currency', 'order.currency', 'varchar'),
        ('order_item_count', 'order.item_count', 'integer'),
        ('subtotal', 'order.subtotal', 'decimal(12,2)'),
        ('tax', 'order.tax', 'decimal(12,2)'),
        ('shipping', 'order.shipping', 'decimal(12,2)'),
        ('total_amount', 'order.total_amount', 'decimal(12,2)'),
        ('payment_method', 'order.payment_method', 'varchar'),
        ('cancel_reason', 'order.cancel_reason', 'varchar'),
        ('carrier', 'order.carrier', 'varchar'),
        ('order_created_at', 'order.created_at', 'timestamp'),
        ('paid_at', 'order.paid_at', 'timestamp'),
        ('fulfilled_at', 'order.fulfilled_at', 'timestamp'),
        ('cancelled_at', 'order.cancelled_at', 'timestamp'),
        ('order_items', 'order.items', 'json'),
    ]) -}}
{% endmacro %}
