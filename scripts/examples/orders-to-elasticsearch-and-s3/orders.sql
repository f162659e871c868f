-- The seed's closing exercise: one orders table, captured once, read by two sinks.
CREATE TABLE public.orders (
  id        serial PRIMARY KEY,
  customer  text NOT NULL,
  product   text NOT NULL,
  quantity  integer NOT NULL,
  price     numeric(10, 2) NOT NULL
);
INSERT INTO public.orders (customer, product, quantity, price) VALUES
  ('sally', 'kayak', 1, 899.00),
  ('george', 'paddle', 2, 49.50),
  ('edward', 'life vest', 1, 75.25);
-- Deletes carry the whole old row, so the S3 archive keeps what was deleted.
ALTER TABLE public.orders REPLICA IDENTITY FULL;
