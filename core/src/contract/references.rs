//! Whether a contract's foreign keys and reconciliations name tables and
//! columns that exist (a key's with its types): checked when a registry
//! starts, over every contract it holds.

use crate::{Contract, Mode, ReconcileRule, Statistic};

impl Contract {
    /// The other tables its checks read (foreign keys and
    /// reconciliations), each once, in the order they are first named.
    pub fn other_tables(&self) -> Vec<&str> {
        let mut tables: Vec<&str> = Vec::new();
        let named = self.foreign_keys.iter().map(|key| key.table.as_str());
        let reconciled = self.reconciliations.iter().map(|rule| rule.table.as_str());
        for table in named.chain(reconciled) {
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        tables
    }

    /// What is wrong with each foreign key and reconciliation of this
    /// contract, given the contracts by table name (`find`): a table that
    /// is not there, a column it does not have, a column no key can
    /// reference (an array, RECORD or JSON), or a referenced column of
    /// another type than the key's.
    pub fn reference_problems<'a>(
        &self,
        find: impl Fn(&str) -> Option<&'a Contract>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        for key in &self.foreign_keys {
            let at = format!("`{}`'s foreign key to `{}`", self.name, key.target());
            if key.columns.len() != key.referenced.len() || key.columns.is_empty() {
                problems.push(format!(
                    "{at}: {} column(s) reference {}",
                    key.columns.len(),
                    key.referenced.len()
                ));
                continue;
            }
            if let Some(missing) = key.columns.iter().find(|c| self.field(c).is_none()) {
                problems.push(format!("{at}: `{}` has no column `{missing}`", self.name));
                continue;
            }
            let Some(referenced) = find(&key.table) else {
                problems.push(format!(
                    "{at}: no contract of table `{}` is registered",
                    key.table
                ));
                continue;
            };
            for (ours, theirs) in key.columns.iter().zip(&key.referenced) {
                let key_column = self.field(ours).map(|field| field.logical_type.key_type());
                match referenced.field(theirs) {
                    Some(field) if field.mode != Mode::Repeated && field.logical_type.can_be_key() => {
                        let their_type = field.logical_type.key_type();
                        if let Some(our_type) = key_column.filter(|ours| *ours != their_type) {
                            problems.push(format!(
                                "{at}: `{ours}` is {our_type} but `{}.{theirs}` is {their_type}",
                                key.table
                            ));
                        }
                    }
                    Some(_) => problems.push(format!(
                        "{at}: `{}.{theirs}` is an array, RECORD or JSON, which no key can reference",
                        key.table
                    )),
                    None => problems.push(format!(
                        "{at}: table `{}` has no column `{theirs}`",
                        key.table
                    )),
                }
            }
        }
        for rule in &self.reconciliations {
            let at = format!(
                "`{}`'s reconciliation `{}` against `{}`",
                self.name,
                rule.name,
                rule.against()
            );
            if let Some(problem) = rule
                .column
                .as_deref()
                .and_then(|c| measurable(self, c, rule))
            {
                problems.push(format!("{at}: {problem}"));
            }
            match find(&rule.table) {
                None => problems.push(format!(
                    "{at}: no contract of table `{}` is registered",
                    rule.table
                )),
                Some(other) => {
                    if let Some(problem) = rule
                        .other_column
                        .as_deref()
                        .and_then(|c| measurable(other, c, rule))
                    {
                        problems.push(format!("{at}: {problem}"));
                    }
                }
            }
        }
        problems
    }
}

/// Why `rule` cannot measure `column` of `contract`: it is not there, is
/// no single value, or (but for a distinct count) is no number.
fn measurable(contract: &Contract, column: &str, rule: &ReconcileRule) -> Option<String> {
    let Some(field) = contract.field(column) else {
        return Some(format!(
            "table `{}` has no column `{column}`",
            contract.name
        ));
    };
    let single = field.mode != Mode::Repeated && field.logical_type.can_be_key();
    let needs_number = rule.statistic != Statistic::DistinctCount;
    (!single || (needs_number && !field.logical_type.is_number())).then(|| {
        format!(
            "`{}.{column}` is {}, which {} cannot measure",
            contract.name,
            field.logical_type.key_type(),
            rule.statistic.name()
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::{Contract, Field, ForeignKey, LogicalType, Mode, Severity};

    fn contract(name: &str, fields: &[(&str, LogicalType, Mode)]) -> Contract {
        let fields = fields
            .iter()
            .map(|(name, logical, mode)| Field::new(*name, logical.clone(), *mode))
            .collect();
        Contract::new(name, fields)
    }

    #[test]
    fn a_key_names_a_registered_table_and_columns_of_its_type() {
        let customers = contract(
            "customers",
            &[
                ("id", LogicalType::Int64, Mode::Required),
                ("code", LogicalType::String, Mode::Required),
                ("tags", LogicalType::String, Mode::Repeated),
            ],
        );
        let mut orders = contract(
            "orders",
            &[
                ("customer_id", LogicalType::Int64, Mode::Nullable),
                ("customer_code", LogicalType::Int64, Mode::Nullable),
            ],
        );
        let key = |columns: &[&str], table: &str, referenced: &[&str]| ForeignKey {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            table: table.into(),
            referenced: referenced.iter().map(|c| c.to_string()).collect(),
            severity: Severity::Error,
        };
        let find = |name: &str| (name == "customers").then_some(&customers);
        orders.foreign_keys = vec![key(&["customer_id"], "customers", &["id"])];
        assert_eq!(orders.reference_problems(find), Vec::<String>::new());

        orders.foreign_keys = vec![
            key(&["customer_id"], "clients", &["id"]),
            key(&["customer_id"], "customers", &["number"]),
            key(&["customer_code"], "customers", &["code"]),
            key(&["customer_id"], "customers", &["tags"]),
        ];
        let problems = orders.reference_problems(find);
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("no contract of table `clients`"));
        assert!(problems[1].contains("has no column `number`"));
        assert!(problems[2].contains("`customer_code` is INT64 but `customers.code` is STRING"));
        assert!(problems[3].contains("array, RECORD or JSON"));
    }
}
