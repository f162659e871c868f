-- The inventory schema of Debezium's tutorial, trimmed to two tables.
CREATE SCHEMA inventory;
CREATE TABLE inventory.customers (
  id         serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name  text NOT NULL,
  email      text NOT NULL UNIQUE
);
CREATE TABLE inventory.orders (
  id         serial PRIMARY KEY,
  order_date date NOT NULL,
  purchaser  integer NOT NULL REFERENCES inventory.customers (id),
  quantity   integer NOT NULL,
  price      numeric(10, 2) NOT NULL
);
INSERT INTO inventory.customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@acme.com'),
  ('George', 'Bailey', 'gbailey@foobar.com'),
  ('Edward', 'Walker', 'ed@walker.com'),
  ('Anne', 'Kretchmar', 'annek@noanswer.org');
INSERT INTO inventory.orders (order_date, purchaser, quantity, price) VALUES
  ('2016-01-16', 1, 1, 19.99),
  ('2016-01-17', 2, 2, 5.50),
  ('2016-02-19', 2, 2, 12.00);
ALTER TABLE inventory.customers REPLICA IDENTITY FULL;
