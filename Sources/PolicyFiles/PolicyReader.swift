import CryptoPrimitives
import Foundation
import SignatureVerification
import Yams

/// Reads and validates ClusterImagePolicy and TrustRoot documents the way policy-controller's admission
/// validation does, with the field paths of its messages; refuses what cannot be evaluated outside a cluster.
final class PolicyReader {
    let log: ProblemLog
    /// Every `trustRootRef`, checked once all files are read.
    private(set) var trustRootRefs: [(String, Field)] = []

    init(log: ProblemLog) { self.log = log }

    private var location: (Field) -> PolicyLocation { { PolicyLocation(file: self.log.file, line: $0.line) } }

    private func name(_ root: [String: Field], _ document: Field) -> String? {
        guard let metadata = root["metadata"], case .mapping(let mapping) = metadata.node,
              let name = mapping["name"]?.string, !name.isEmpty else {
            log.add(.fieldInvalid, root["metadata"] ?? document, "metadata.name is missing", fix: "name the resource")
            return nil
        }
        return name
    }

    // MARK: - ClusterImagePolicy

    func policy(_ document: Field, apiVersion: String) -> ClusterImagePolicy? {
        let before = log.problems.count
        guard let root = document.mapping(known: ["apiVersion", "kind", "metadata", "spec", "status"]) else { return nil }
        let name = name(root, document)
        guard let specField = root["spec"], let spec = specField.mapping(known: ["images", "authorities", "policy", "mode", "match"]) else {
            log.add(.fieldInvalid, root["spec"] ?? document, "spec is missing", fix: "give spec.images and spec.authorities")
            return nil
        }
        var globs: [ImageGlob] = []
        if let images = spec["images"]?.items(), !images.isEmpty {
            for item in images {
                guard let fields = item.mapping(known: ["glob"]) else { continue }
                guard let globField = fields["glob"], let text = globField.string() else {
                    log.add(.fieldInvalid, item.child("glob", item.node), "missing field(s)", fix: "give a glob such as ghcr.io/org/**")
                    continue
                }
                do {
                    globs.append(try ImageGlob(text))
                } catch {
                    log.add(.fieldInvalid, globField, "invalid value: \(text)",
                            fix: "a glob uses letters, digits and -_:/.@ with * (within a path segment) and ** (across segments)")
                }
            }
        } else {
            log.add(.fieldInvalid, spec["images"] ?? specField.child("images", specField.node), "missing field(s)",
                    fix: "list the images the policy applies to (spec.images[].glob)")
        }
        var mode = ClusterImagePolicy.Mode.enforce
        if let modeField = spec["mode"], let text = modeField.string() {
            if let parsed = ClusterImagePolicy.Mode(rawValue: text) { mode = parsed } else {
                log.add(.fieldInvalid, modeField, "invalid value: \(text)", fix: "mode is enforce or warn")
            }
        }
        if let policyField = spec["policy"] {
            log.add(.policyLanguageUnsupported, policyField, "a policy-level \(policyType(policyField)) policy cannot be evaluated by this tool",
                    fix: "remove spec.policy and express the requirement with authorities, or keep this policy for the cluster only")
        }
        var match: [MatchResource] = []
        for item in spec["match"]?.items() ?? [] {
            guard let fields = item.mapping(known: ["group", "version", "resource", "selector"]) else { continue }
            let resource = fields["resource"]?.string() ?? ""
            if MatchResource.kinds[resource] == nil {
                log.add(.fieldInvalid, fields["resource"] ?? item, "invalid value: \(resource)",
                        fix: "resource is one of \(MatchResource.kinds.keys.sorted().joined(separator: ", "))")
            }
            var labels: [String: String] = [:]
            if let selector = fields["selector"]?.mapping(known: ["matchLabels", "matchExpressions"]) {
                if case .mapping(let m)? = selector["matchLabels"]?.node {
                    for (k, v) in m { if let k = k.string, let v = v.string { labels[k] = v } }
                }
            }
            match.append(MatchResource(group: fields["group"]?.string() ?? "", version: fields["version"]?.string() ?? "",
                                       resource: resource, matchLabels: labels))
        }
        var authorities: [PolicyAuthority] = []
        if let list = spec["authorities"]?.items(), !list.isEmpty {
            for (index, item) in list.enumerated() {
                if let authority = authority(item, index: index) { authorities.append(authority) }
            }
        } else {
            log.add(.fieldInvalid, spec["authorities"] ?? specField.child("authorities", specField.node), "missing field(s)",
                    fix: "give at least one authority (key, keyless or static)")
        }
        guard log.problems.count == before, let name else { return nil }
        return ClusterImagePolicy(name: name, apiVersion: apiVersion, location: location(document), images: globs,
                                  authorities: authorities, mode: mode, match: match)
    }

    private func policyType(_ field: Field) -> String {
        if case .mapping(let m) = field.node, let type = m["type"]?.string { return type.uppercased() == "REGO" ? "Rego" : type.uppercased() }
        return "CUE/Rego"
    }

    /// A field that is present with a value (`keyless:` with nothing after it is absent, as in Go).
    private func present(_ field: Field?) -> Field? {
        guard let field else { return nil }
        if case .scalar = field.node, field.isEmpty { return nil }
        return field
    }

    private func authority(_ item: Field, index: Int) -> PolicyAuthority? {
        let before = log.problems.count
        guard let fields = item.mapping(known: ["name", "key", "keyless", "static", "source", "ctlog", "attestations",
                                                "rfc3161timestamp", "signatureFormat"]) else { return nil }
        let name = fields["name"]?.string() ?? "authority-\(index)"
        let kinds = [present(fields["key"]), present(fields["keyless"]), present(fields["static"])].compactMap { $0 }
        if kinds.count != 1 {
            log.add(.fieldInvalid, item, "expected exactly one, got \(kinds.isEmpty ? "neither" : "both"): key, keyless, static",
                    fix: "give each authority exactly one of key, keyless or static")
        }
        var evidence: PolicyAuthority.Evidence?
        if let keyField = present(fields["key"]) { evidence = key(keyField) }
        if let keylessField = present(fields["keyless"]) { evidence = keyless(keylessField) }
        if let staticField = present(fields["static"]) {
            evidence = staticAction(staticField)
            for other in ["ctlog", "attestations", "source", "rfc3161timestamp"] where fields[other] != nil {
                log.add(.fieldInvalid, fields[other]!, "static authorities take no \(other)", fix: "remove \(other) or the static action")
            }
        }
        if let source = fields["source"] {
            log.add(.sourceUnsupported, source, "signature source overrides (oci, tagPrefix, signaturePullSecrets) are not supported",
                    fix: "remove source: signatures are looked up beside the image (tags and referrers) and the registry flags give credentials")
        }
        var tlog: TransparencyLogAuthority?
        if let ctlog = fields["ctlog"], let ctFields = ctlog.mapping(known: ["url", "trustRootRef"]) {
            let ref = ctFields["trustRootRef"]?.string()
            if let ref, let field = ctFields["trustRootRef"] { trustRootRefs.append((ref, field)) }
            tlog = TransparencyLogAuthority(url: ctFields["url"]?.string(), trustRootRef: ref)
        }
        var timestampRoot: String?
        if let tsa = fields["rfc3161timestamp"], let tsaFields = tsa.mapping(known: ["trustRootRef"]) {
            if let refField = tsaFields["trustRootRef"], let ref = refField.string() {
                timestampRoot = ref
                trustRootRefs.append((ref, refField))
            } else {
                log.add(.fieldInvalid, tsa, "missing field(s): trustRootRef", fix: "name the TrustRoot whose timestamp authorities apply")
            }
        }
        var attestations: [AttestationRequirement] = []
        for entry in fields["attestations"]?.items() ?? [] {
            guard let attestation = entry.mapping(known: ["name", "predicateType", "policy"]) else { continue }
            let attestationName = attestation["name"]?.string()
            let predicateType = attestation["predicateType"]?.string()
            if attestationName?.isEmpty ?? true { log.add(.fieldInvalid, entry.child("name", entry.node), "missing field(s)", fix: "name the attestation") }
            if predicateType?.isEmpty ?? true {
                log.add(.fieldInvalid, entry.child("predicateType", entry.node), "missing field(s)",
                        fix: "give the predicate type (a URI, or cosign's short name such as slsaprovenance)")
            }
            if let policyField = attestation["policy"] {
                log.add(.policyLanguageUnsupported, policyField, "a \(policyType(policyField)) policy over the attestation cannot be evaluated by this tool",
                        fix: "remove the policy block to require only a verified attestation of this predicate type, or keep this policy for the cluster only")
            }
            if let attestationName, let predicateType {
                attestations.append(AttestationRequirement(name: attestationName, predicateType: predicateType))
            }
        }
        if let format = fields["signatureFormat"], let text = format.string(), !["legacy", "bundle", ""].contains(text) {
            log.add(.fieldInvalid, format, "invalid value: \(text)", fix: "signatureFormat is legacy or bundle")
        }
        guard log.problems.count == before, let evidence else { return nil }
        return PolicyAuthority(name: name, location: location(item), evidence: evidence, transparencyLog: tlog,
                               timestampTrustRoot: timestampRoot, attestations: attestations)
    }

    /// `key.data` / `key.kms` / `key.secretRef` (exactly one) and `key.hashAlgorithm`.
    private func key(_ field: Field) -> PolicyAuthority.Evidence? {
        guard let fields = field.mapping(known: ["data", "kms", "secretRef", "hashAlgorithm"]) else { return nil }
        let hash = fields["hashAlgorithm"]?.string() ?? "sha256"
        if !["sha224", "sha256", "sha384", "sha512"].contains(hash) {
            log.add(.fieldInvalid, fields["hashAlgorithm"]!, "invalid value: \(hash)", fix: "hashAlgorithm is sha224, sha256, sha384 or sha512")
        }
        guard let material = keyMaterial(field, fields, what: "key") else { return nil }
        do {
            return .key(try PublicKey(pem: material.text), hashAlgorithm: hash)
        } catch {
            log.add(.fieldInvalid, material.field, "invalid value: \(material.text): \(error)",
                    fix: "give the public key as PEM (-----BEGIN PUBLIC KEY-----)")
            return nil
        }
    }

    /// A KeyRef's `data`, refusing `kms` and `secretRef` (after validating them as policy-controller does).
    private func keyMaterial(_ field: Field, _ fields: [String: Field], what: String) -> (text: String, field: Field)? {
        let given = ["data", "kms", "secretRef"].filter { fields[$0] != nil }
        guard given.count == 1 else {
            log.add(.fieldInvalid, field.child("data", field.node),
                    "expected exactly one, got \(given.isEmpty ? "neither" : "both"): \(field.path).data, \(field.path).kms, \(field.path).secretref",
                    fix: "give the \(what) inline with data (PEM)")
            return nil
        }
        if let kms = fields["kms"], let text = kms.string() {
            if let problem = kmsProblem(text) {
                log.add(.fieldInvalid, kms, "invalid value: \(text): \(problem)", fix: "give a KMS key reference in its documented form")
            } else {
                log.add(.kmsUnsupported, kms, "KMS key references (\(text)) cannot be read by this tool",
                        fix: "export the public key (cosign public-key --key \(text)) and give it inline with data")
            }
            return nil
        }
        if let secret = fields["secretRef"] {
            log.add(.clusterReferenceUnsupported, secret, "a Kubernetes Secret cannot be read outside the cluster",
                    fix: "give the \(what) inline with data (PEM)")
            return nil
        }
        guard let data = fields["data"], let text = data.string(), !text.isEmpty else { return nil }
        return (text, data)
    }

    /// policy-controller's checks of a KMS reference; nil when well-formed.
    private func kmsProblem(_ text: String) -> String? {
        let schemes = ["awskms://", "gcpkms://", "azurekms://", "hashivault://"]
        guard let scheme = schemes.first(where: text.hasPrefix) else {
            return "unsupported KMS scheme (one of \(schemes.joined(separator: ", ")))"
        }
        if scheme == "awskms://" {
            // awskms://[endpoint]/arn:aws:kms:region:account:key/… or …:alias/… — a bare key id or alias is refused.
            let rest = text.dropFirst(scheme.count)
            guard let slash = rest.firstIndex(of: "/") else { return "no key after the endpoint" }
            let key = rest[rest.index(after: slash)...]
            let parts = key.split(separator: ":", omittingEmptySubsequences: false)
            guard key.hasPrefix("arn:"), parts.count >= 6, parts[2] == "kms",
                  parts[5].hasPrefix("key/") || parts[5].hasPrefix("alias/") else {
                return "an AWS KMS key must be given by its ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or …:alias/NAME)"
            }
        }
        return nil
    }

    private func keyless(_ field: Field) -> PolicyAuthority.Evidence? {
        let before = log.problems.count
        guard let fields = field.mapping(known: ["url", "identities", "ca-cert", "trustRootRef", "insecureIgnoreSCT"]) else { return nil }
        if fields["ca-cert"] != nil && fields["url"] != nil {
            log.add(.fieldInvalid, field.child("ca-cert", field.node), "expected exactly one, got both: \(field.path).ca-cert, \(field.path).url",
                    fix: "give either the Fulcio url or a private ca-cert")
        }
        var identities: [KeylessIdentity] = []
        if let list = fields["identities"]?.items(), !list.isEmpty {
            for item in list {
                if let identity = identity(item) { identities.append(identity) }
            }
        } else {
            log.add(.fieldInvalid, field.child("identities", field.node), "Invalid value: at least one identity is required",
                    fix: "list the identities (issuer or issuerRegExp, and subject or subjectRegExp) allowed to sign")
        }
        var chain: [Certificate]?
        if let caField = fields["ca-cert"], let caFields = caField.mapping(known: ["data", "kms", "secretRef"]),
           let material = keyMaterial(caField, caFields, what: "CA certificate chain") {
            do {
                chain = try Certificate.parsePEM(material.text)
            } catch {
                log.add(.fieldInvalid, material.field, "invalid value: \(error)", fix: "give the CA chain as PEM certificates, root last")
            }
        }
        let ref = fields["trustRootRef"]?.string()
        if let ref, let refField = fields["trustRootRef"] { trustRootRefs.append((ref, refField)) }
        let ignoreSCT = fields["insecureIgnoreSCT"]?.bool() ?? false
        guard log.problems.count == before else { return nil }
        return .keyless(KeylessAuthority(url: fields["url"]?.string(), identities: identities, certificateChain: chain,
                                         trustRootRef: ref, insecureIgnoreSCT: ignoreSCT))
    }

    private func identity(_ item: Field) -> KeylessIdentity? {
        guard let fields = item.mapping(known: ["issuer", "subject", "issuerRegExp", "subjectRegExp"]) else { return nil }
        func matcher(_ exact: String, _ regexp: String) -> StringMatcher? {
            switch (fields[exact], fields[regexp]) {
            case (nil, nil):
                log.add(.fieldInvalid, item.child(exact, item.node), "missing field(s): \(item.path).\(exact), \(item.path).\(regexp)",
                        fix: "give \(exact) (exact) or \(regexp) (anchored regular expression)")
                return nil
            case (let e?, let r?):
                log.add(.fieldInvalid, r, "expected exactly one, got both: \(e.path), \(r.path)", fix: "give one of them")
                return nil
            case (let e?, nil):
                guard let text = e.string(), !text.isEmpty else { return nil }
                return .exact(text)
            case (nil, let r?):
                guard let text = r.string() else { return nil }
                do {
                    return try .regexp(text)
                } catch {
                    log.add(.fieldInvalid, r, "invalid value: \(text) (the regular expression does not compile)",
                            fix: "correct the regular expression; it must match the whole value")
                    return nil
                }
            }
        }
        let issuer = matcher("issuer", "issuerRegExp")
        let subject = matcher("subject", "subjectRegExp")
        guard let issuer, let subject else { return nil }
        return KeylessIdentity(issuer: issuer, subject: subject)
    }

    private func staticAction(_ field: Field) -> PolicyAuthority.Evidence? {
        guard let fields = field.mapping(known: ["action", "message"]) else { return nil }
        let action = fields["action"]?.string() ?? ""
        guard action == "pass" || action == "fail" else {
            log.add(.fieldInvalid, fields["action"] ?? field.child("action", field.node), "invalid value: \(action)",
                    fix: "static.action is pass or fail")
            return nil
        }
        return .staticAction(pass: action == "pass", message: fields["message"]?.string())
    }

    // MARK: - TrustRoot

    func trustRoot(_ document: Field) -> TrustRootResource? {
        let before = log.problems.count
        guard let root = document.mapping(known: ["apiVersion", "kind", "metadata", "spec", "status"]) else { return nil }
        let name = name(root, document)
        guard let specField = root["spec"], let spec = specField.mapping(known: ["remote", "repository", "sigstoreKeys"]) else {
            log.add(.fieldInvalid, root["spec"] ?? document, "spec is missing", fix: "give spec.sigstoreKeys")
            return nil
        }
        for tuf in ["remote", "repository"] where spec[tuf] != nil {
            log.add(.trustRootUnsupported, spec[tuf]!, "a TUF \(tuf) trust root cannot be used by this tool",
                    fix: "give the keys as spec.sigstoreKeys, or pass the trusted_root.json with --trusted-root")
        }
        guard let keysField = spec["sigstoreKeys"], let keys = keysField.mapping(known: ["certificateAuthorities", "tLogs", "ctLogs", "timestampAuthorities"]) else {
            if spec["remote"] == nil && spec["repository"] == nil {
                log.add(.fieldInvalid, specField, "expected exactly one, got neither: spec.remote, spec.repository, spec.sigstoreKeys",
                        fix: "give spec.sigstoreKeys")
            }
            return nil
        }
        var json: [String: Any] = ["mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1"]
        json["certificateAuthorities"] = (keys["certificateAuthorities"]?.items() ?? []).compactMap { authority($0) }
        json["timestampAuthorities"] = (keys["timestampAuthorities"]?.items() ?? []).compactMap { authority($0) }
        json["tlogs"] = (keys["tLogs"]?.items() ?? []).compactMap { logInstance($0) }
        json["ctlogs"] = (keys["ctLogs"]?.items() ?? []).compactMap { logInstance($0) }
        guard log.problems.count == before, let name else { return nil }
        do {
            let bytes = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
            return TrustRootResource(name: name, location: location(document), trustedRoot: try TrustedRoot(json: bytes),
                                     trustedRootJSON: bytes)
        } catch {
            log.add(.fieldInvalid, keysField, "the keys do not make a usable trusted root: \(error)", fix: "correct spec.sigstoreKeys")
            return nil
        }
    }

    /// `[]byte` fields are base64 in Kubernetes resources; PEM text is accepted as is.
    private func bytesField(_ field: Field?) -> String? {
        guard let field, let text = field.string() else { return nil }
        if text.hasPrefix("-----BEGIN") { return text }
        guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }), let pem = String(data: data, encoding: .utf8) else {
            log.add(.fieldInvalid, field, "invalid value: not base64", fix: "give the PEM text base64-encoded, as Kubernetes encodes []byte")
            return nil
        }
        return pem
    }

    private static let epoch = "1970-01-01T00:00:00Z"

    private func authority(_ item: Field) -> [String: Any]? {
        guard let fields = item.mapping(known: ["subject", "uri", "certChain"]) else { return nil }
        guard let pem = bytesField(fields["certChain"] ?? item.child("certChain", item.node)) else { return nil }
        let certificates: [Certificate]
        do {
            certificates = try Certificate.parsePEM(pem)
        } catch {
            log.add(.fieldInvalid, fields["certChain"] ?? item, "invalid value: \(error)", fix: "give the chain as PEM certificates, root last")
            return nil
        }
        var subject: [String: String] = [:]
        if case .mapping(let m)? = fields["subject"]?.node {
            subject["organization"] = m["organization"]?.string ?? ""
            subject["commonName"] = m["commonName"]?.string ?? ""
        }
        return ["subject": subject, "uri": fields["uri"]?.string() ?? "",
                "certChain": ["certificates": certificates.map { ["rawBytes": Data($0.der).base64EncodedString()] }],
                "validFor": ["start": PolicyReader.epoch]]
    }

    private func logInstance(_ item: Field) -> [String: Any]? {
        guard let fields = item.mapping(known: ["baseURL", "hashAlgorithm", "publicKey"]) else { return nil }
        guard let pem = bytesField(fields["publicKey"] ?? item.child("publicKey", item.node)) else { return nil }
        let key: PublicKey
        do {
            key = try PublicKey(pem: pem)
        } catch {
            log.add(.fieldInvalid, fields["publicKey"] ?? item, "invalid value: \(error)", fix: "give the log's public key as PEM")
            return nil
        }
        let details: String
        switch key.kind {
        case .ecdsaP256: details = "PKIX_ECDSA_P256_SHA_256"
        case .ecdsaP384: details = "PKIX_ECDSA_P384_SHA_384"
        case .ecdsaP521: details = "PKIX_ECDSA_P521_SHA_512"
        case .ed25519: details = "PKIX_ED25519"
        case .rsa: details = "PKIX_RSA_PKCS1V15_2048_SHA256"
        }
        let algorithm = (fields["hashAlgorithm"]?.string() ?? "sha256").lowercased().filter { $0 != "-" && $0 != "_" }
        return ["baseUrl": fields["baseURL"]?.string() ?? "",
                "hashAlgorithm": algorithm == "sha256" || algorithm == "sha2256" ? "SHA2_256" : algorithm.uppercased(),
                "publicKey": ["rawBytes": Data(key.spkiDER).base64EncodedString(), "keyDetails": details,
                              "validFor": ["start": PolicyReader.epoch]],
                "logId": ["keyId": Data(key.sha256KeyID).base64EncodedString()]]
    }
}
